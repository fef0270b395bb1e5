"""The network, trainer and export: luma kept bit-exact in chroma mode, loss falls, resume is exact,
exported TorchScript reloads and matches (odd sizes, half precision), the whitelist holds."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install "
                                            "'nuke-restore[ml]' (torch==2.13.0, CPU build)")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from nuke_restore.errors import NukeRestoreError  # noqa: E402
from nuke_restore.ml import net, portable  # noqa: E402
from nuke_restore.ml.data import pairs_from_arrays  # noqa: E402


def _randomised(size="Small", mode="chroma", seed=0):
    torch.manual_seed(seed)
    m = net.build(size, mode)
    with torch.no_grad():  # the head starts at zero (identity); make the network do something
        m.head.weight.normal_(0, 0.5)
        m.head.bias.normal_(0, 0.1)
    return m.eval()


def _photo_pairs(n=2, size=48):
    """Faded crops of a real photograph (a per-channel dye fade plus a colour cast)."""
    from nuke_restore.imaging import samples
    from nuke_restore.imaging.colour import srgb_to_linear

    img = srgb_to_linear(samples.load_photo("astronaut")[::4, ::4].astype(np.float32))
    srcs, tgts = [], []
    for i in range(n):
        t = img[i * size:(i + 1) * size, 10:10 + size]
        s = np.clip(t * np.array([1.0, 0.7, 0.45], np.float32) + 0.03, 0, 1)
        srcs.append(s)
        tgts.append(t)
    return srcs, tgts


def test_chroma_mode_passes_source_luma_through_bit_exact():
    m = _randomised()
    x = torch.rand(2, 3, 23, 31) * 1.5
    with torch.no_grad():
        ycc = m.ycbcr(x)
        y_in = x[:, 0:1] * m.kr + x[:, 1:2] * m.kg + x[:, 2:3] * m.kb
        out = m(x)
    assert torch.equal(ycc[:, 0:1], y_in)  # the very values: predicted CbCr only
    y_out = out[:, 0:1] * m.kr + out[:, 1:2] * m.kg + out[:, 2:3] * m.kb
    assert float((y_out - y_in).abs().max()) < 2e-6  # RGB round trip: float rounding only
    assert float((out - x).abs().max()) > 1e-2  # while the colour did change
    full = _randomised(mode="full")
    with torch.no_grad():
        f = full(x)
    y_f = f[:, 0:1] * m.kr + f[:, 1:2] * m.kg + f[:, 2:3] * m.kb
    assert float((y_f - y_in).abs().max()) > 1e-3  # full mode is free to change luma


@pytest.mark.parametrize("h,w", [(1, 1), (7, 5), (37, 53), (64, 48)])
def test_any_size_in_and_out(h, w):
    m = _randomised(size="Small")
    with torch.no_grad():
        assert m(torch.rand(1, 3, h, w)).shape == (1, 3, h, w)


def test_loss_falls_on_a_tiny_model():
    from nuke_restore.ml.train import train_arrays

    srcs, tgts = _photo_pairs()
    pairs = pairs_from_arrays(srcs, tgts, mode="full", crop_size=32, batch_size=2)
    _m, hist, _s = train_arrays(pairs, 60, learning_rate=3e-3, model_size="Small")
    first, last = np.mean(hist[:5]), np.mean(hist[-5:])
    assert last < 0.6 * first, (first, last)


def test_training_is_seeded_and_resume_gives_the_same_weights(tmp_path):
    from nuke_restore.ml import train

    srcs, tgts = _photo_pairs()
    pairs = pairs_from_arrays(srcs, tgts, mode="chroma", crop_size=24, batch_size=2)
    kw = dict(model_size="Small", learning_rate=1e-3, checkpoint_interval=3, name="t")
    s6 = train.TrainSettings.from_pairs(pairs, steps=6, **kw)
    train.train(pairs, s6, tmp_path / "straight", progress=False)
    s3 = train.TrainSettings.from_pairs(pairs, steps=3, **kw)
    train.train(pairs, s3, tmp_path / "resumed", progress=False)
    summary = train.train(pairs, s6, tmp_path / "resumed", progress=False)
    assert summary["steps"] == 6 and summary["trained_steps"] == 3
    a = train.load_checkpoint(tmp_path / "straight" / "t.pt")
    b = train.load_checkpoint(tmp_path / "resumed" / "t.pt")
    assert a["settings"] == b["settings"] and a["step"] == b["step"] == 6
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert (tmp_path / "straight" / "checkpoints" / "t.3.pt").is_file()
    other = train.TrainSettings.from_pairs(pairs, steps=9, **dict(kw, learning_rate=5e-4))
    with pytest.raises(NukeRestoreError, match="settings differ.*learning_rate"):
        train.train(pairs, other, tmp_path / "straight", progress=False)


def test_export_reloads_and_matches_on_odd_sizes_and_in_half(tmp_path):
    from nuke_restore.ml.export import export_model

    m = _randomised(size="Small", mode="chroma", seed=3)
    out = tmp_path / "model.pt"
    doc = export_model(m, out, {"mode": "chroma", "model_size": "Small"})
    assert doc["parity"]["max_abs_error"] <= 1e-5 and (tmp_path / "model.json").is_file()
    loaded = torch.jit.load(str(out))
    for h, w in [(17, 29), (33, 1), (64, 48)]:
        x = torch.rand(1, 3, h, w)
        with torch.no_grad():
            ref, got = m(x), loaded(x)
        assert float((ref - got).abs().max()) <= 1e-5
    half = torch.jit.load(str(out)).half()
    x = torch.rand(1, 3, 21, 35)
    with torch.no_grad():
        got = half(x.half()).float()
        ref = m(x)
    assert float((got - ref).abs().max()) < 2e-2


class Upsampler(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.interpolate(x, scale_factor=2.0, mode="bilinear",
                                               align_corners=False)


def test_whitelist_rejects_interpolate_and_export_writes_nothing(tmp_path):
    scripted = torch.jit.script(Upsampler())
    bad = portable.check_module(scripted)
    assert any("upsample" in b for b in bad), bad
    scripted.save(str(tmp_path / "up.pt"))
    assert any("upsample" in b for b in portable.check_archive(tmp_path / "up.pt"))
    with pytest.raises(NukeRestoreError, match="operators"):
        from nuke_restore.ml.export import export_model

        export_model(Upsampler(), tmp_path / "bad.pt", {})
    assert not (tmp_path / "bad.pt").exists()
    for mode in ("chroma", "full"):
        for size in net.SIZES:
            assert portable.check_module(torch.jit.script(net.build(size, mode))) == []
