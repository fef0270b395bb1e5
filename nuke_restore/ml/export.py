"""TorchScript export for Nuke's Inference (through a Cattery .cat), with reload parity and the
operator whitelist check.

The exported module takes one 1xCxHxW float tensor of raw linear pixel values and returns one
(the Cattery contract); it is scripted (not traced) so any size works, checked against
:mod:`.portable`, saved atomically, loaded back and compared with the eager model on an odd-sized
input. A failed check leaves no file behind.
"""
from __future__ import annotations

import contextlib
import json
import warnings
from pathlib import Path
from typing import Any, Dict, Tuple

from ..errors import NukeRestoreError
from ..fileio import atomic_output, write_atomic

PARITY_SIZE: Tuple[int, int] = (37, 53)  # odd on purpose: the mirror-pad path runs
PARITY_TOL = 1e-5


@contextlib.contextmanager
def quiet_jit():
    """torch 2.x warns that TorchScript is deprecated; it is still what Nuke's Cattery loads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def script_model(model):
    import torch

    with quiet_jit():
        return torch.jit.script(model.cpu().float().eval())


def jit_load(path):
    import torch

    with quiet_jit():
        return torch.jit.load(str(path), map_location="cpu")


def export_model(model, out_path, settings: Dict[str, Any], force: bool = False,
                 seed: int = 0) -> Dict[str, Any]:
    """Script, check, save and reload ``model``; writes ``<out>.json`` beside it. Returns that doc."""
    import torch

    from . import portable

    scripted = script_model(model)
    bad = portable.check_module(scripted)
    if bad:
        raise NukeRestoreError("the model uses operators the torch bundled with Nuke 14 (1.12.1) "
                               f"may not know: {', '.join(bad)}", str(out_path))
    out = Path(out_path)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand((1, 3) + PARITY_SIZE, generator=gen) * 1.2 - 0.05
    with torch.no_grad():
        ref = model.cpu().float().eval()(x)
    with atomic_output(out, force=force) as tmp:
        scripted.save(tmp)
        bad = portable.check_archive(tmp)
        if bad:
            raise NukeRestoreError(f"the saved archive uses operators outside the whitelist: "
                                   f"{', '.join(bad)}", str(out))
        loaded = jit_load(tmp)
        with torch.no_grad():
            got = loaded(x)
        err = float((got - ref).abs().max())
        if not err <= PARITY_TOL:
            raise NukeRestoreError(f"reloaded model differs from the trained one by {err:.3g} "
                                   f"(limit {PARITY_TOL})", str(out))
    doc = {
        "file": out.name,
        "torch": torch.__version__,
        "mode": settings.get("mode"), "model_size": settings.get("model_size"),
        "channels_in": 3, "channels_out": 3,
        "parity": {"size": list(PARITY_SIZE), "max_abs_error": err},
        "operators": sorted(portable.graph_ops(loaded)),
        "settings": settings,
    }
    write_atomic(out.with_suffix(".json"), json.dumps(doc, indent=1, sort_keys=True) + "\n",
                 force=True)
    return doc


def export_checkpoint(checkpoint, out_path, force: bool = False) -> Dict[str, Any]:
    from .train import model_from_checkpoint

    model, ck = model_from_checkpoint(checkpoint)
    doc = export_model(model, out_path, ck["settings"], force=force)
    doc["checkpoint_step"] = int(ck["step"])
    return doc


def load_any(path):
    """A model from a checkpoint (eager) or an exported .pt (TorchScript), and its settings."""

    from .train import FORMAT, model_from_checkpoint

    p = Path(path)
    if not p.is_file():
        raise NukeRestoreError("model file not found", str(p))
    try:
        module = jit_load(p)
        meta = p.with_suffix(".json")
        settings = json.loads(meta.read_text())["settings"] if meta.is_file() else {}
        return module, settings
    except RuntimeError:
        pass  # not TorchScript: a checkpoint?
    model, ck = model_from_checkpoint(p)
    assert ck["format"] == FORMAT
    return model, ck["settings"]
