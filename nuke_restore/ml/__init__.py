"""Headless training of CopyCat-like restoration models with PyTorch (imported lazily).

Nothing here is imported at plugin load and nothing outside ``nuke_restore.ml`` and the CLI's
``train``/``export``/``evaluate`` commands imports torch. Modules:

* :mod:`.net` - the portable U-Net family (Small/Medium/Large), chroma and full modes (torch);
* :mod:`.portable` - the operator whitelist an exported archive is checked against (torch);
* :mod:`.data` - the training pairs the built CopyCat graph would see (numpy/OpenImageIO);
* :mod:`.train` - the seeded trainer with CopyCat's step accounting and resumable checkpoints;
* :mod:`.export` - TorchScript export with reload parity and the whitelist check;
* :mod:`.catfile` - the CatFileCreator script (.nk through our engine) and ``cat.json`` (stdlib);
* :mod:`.evaluate` - PSNR / luma-PSNR / Delta E 2000 of a model beside the colour baselines.
"""
