"""The `nuke` tier for the headless models: inside a real NukeX (NUKE_EXECUTABLE), the
CatFileCreator script creates the .cat, and Inference through it equals the TorchScript output
within 1e-4. Skipped (see tests/conftest.py) when NUKE_EXECUTABLE is not set.

Also the opt-in old-torch check: NUKE_RESTORE_OLD_TORCH_PYTHON names a Python whose torch is older
(e.g. 1.12.1, the one Nuke 14 bundles); the exported file must load and run there identically."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install "
                                            "'nuke-restore[ml]' (torch==2.13.0, CPU build)")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HERE = Path(__file__).resolve().parent
OLD_TORCH_SCRIPT = """
import json, sys, torch
m = torch.jit.load(sys.argv[1], map_location="cpu")
x = torch.linspace(-0.05, 1.2, 3 * 37 * 53).reshape(1, 3, 37, 53)
with torch.no_grad():
    y = m(x)
print(json.dumps({"torch": torch.__version__, "y": y.flatten().tolist()}))
"""


def _exported(tmp_path, mode="chroma"):
    from nuke_restore.ml import net
    from nuke_restore.ml.export import export_model

    torch.manual_seed(7)
    m = net.build("Small", mode)
    with torch.no_grad():
        m.head.weight.normal_(0, 0.3)
    m.eval()
    pt = tmp_path / "restore_model.pt"
    export_model(m, pt, {"mode": mode, "model_size": "Small"})
    return m, pt


@pytest.mark.parametrize("mode", ["chroma", "full"])
def test_exported_model_runs_in_an_older_torch(tmp_path, mode):
    py = os.environ.get("NUKE_RESTORE_OLD_TORCH_PYTHON")
    if not py:
        pytest.skip("NUKE_RESTORE_OLD_TORCH_PYTHON is not set (a Python with e.g. torch 1.12.1)")
    m, pt = _exported(tmp_path, mode)
    res = subprocess.run([py, "-c", OLD_TORCH_SCRIPT, str(pt)], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    doc = json.loads(res.stdout.strip().splitlines()[-1])
    x = torch.linspace(-0.05, 1.2, 3 * 37 * 53).reshape(1, 3, 37, 53)
    with torch.no_grad():
        want = m(x).flatten().numpy()
    assert np.abs(np.array(doc["y"], np.float32) - want).max() <= 1e-5, doc["torch"]


@pytest.mark.nuke
def test_cat_is_created_and_inference_matches_torchscript(tmp_path):
    from nuke_restore.imaging.sequence import read_image, write_image
    from nuke_restore.ml import catfile

    nuke = os.environ["NUKE_EXECUTABLE"]
    m, pt = _exported(tmp_path)
    kit = tmp_path / "cat"
    doc = catfile.package(pt, kit)
    res = subprocess.run([nuke, "-t", str(kit / "make_cat.py")], capture_output=True, text=True,
                         timeout=600)
    cat = kit / doc["cat"]
    assert cat.is_file(), res.stdout[-2000:] + res.stderr[-2000:]
    rng = np.random.default_rng(0)
    img = rng.uniform(0.0, 1.0, (45, 67, 3)).astype(np.float32)
    src, out = tmp_path / "in.exr", tmp_path / "out.exr"
    write_image(src, img, "float")
    res = subprocess.run([nuke, "-t", str(HERE / "nuke_inference_check.py"), str(src), str(cat),
                          str(out)], capture_output=True, text=True, timeout=600)
    assert out.is_file(), res.stdout[-2000:] + res.stderr[-2000:]
    got = read_image(out)[..., :3]
    with torch.no_grad():
        want = m(torch.from_numpy(img.transpose(2, 0, 1))[None])[0].numpy().transpose(1, 2, 0)
    assert np.abs(got - want).max() <= 1e-4
