"""The headless trainer: seeded, deterministic on CPU, Adam, L1/L2, CopyCat's step accounting,
checkpoints that carry their settings, a progress bar, and resume from the last checkpoint.

CopyCat counts a *step* as one batch: steps = epochs x pairs / batch
(:func:`nuke_restore.config.training_schedule`). Each step here draws ``batch`` random crops of
``crop_size`` from random pairs (CopyCat's random-crop training), with a numpy generator seeded from
``seed``; the generator and torch's state are saved in every checkpoint, so a resumed run continues
with the same crops and gives the same weights as an uninterrupted one.

Checkpoints: ``<out>/checkpoints/<name>.<step>.pt`` (torch.save of a dict: ``model`` state,
``optimizer`` state, ``step``, ``settings``, ``history``, random states) written atomically, and
``<out>/<name>.pt`` pointing at the latest by copy. CopyCat's hidden learning rate is 0.0001
(its knob scan); that is the default here too.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from ..errors import NukeRestoreError
from ..fileio import atomic_output, write_atomic
from .data import PairSet, random_crops

logger = logging.getLogger(__name__)

LOSSES = ("l1", "l2")
FORMAT = "nuke_restore.ml.checkpoint/1"


@dataclass
class TrainSettings:
    steps: int
    model_size: str = "Medium"
    mode: str = "chroma"
    crop_size: int = 256
    batch_size: int = 1
    learning_rate: float = 1e-4
    loss: str = "l1"
    seed: int = 0
    device: str = "cpu"
    checkpoint_interval: int = 1000
    name: str = "model"
    threads: int = 1

    @classmethod
    def from_pairs(cls, pairs: PairSet, **over: Any) -> TrainSettings:
        base = dict(steps=pairs.steps, model_size=pairs.model_size, mode=pairs.mode,
                    crop_size=pairs.crop_size, batch_size=pairs.batch_size,
                    name=f"{pairs.unit}_{pairs.procedure}")
        base.update({k: v for k, v in over.items() if v is not None})
        return cls(**base)

    def to_json(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


def _device(name: str):
    import torch

    if name == "cuda" and not torch.cuda.is_available():
        raise NukeRestoreError("--device cuda: no CUDA device is available to this torch build")
    return torch.device(name)


def make_model(settings: Dict[str, Any]):
    from .net import build

    return build(settings.get("model_size", "Medium"), settings.get("mode", "chroma"))


def load_checkpoint(path) -> Dict[str, Any]:
    """A checkpoint dict; raises NukeRestoreError (one line) for a file that is not one."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise NukeRestoreError("checkpoint not found", str(p))
    try:
        ck = torch.load(str(p), map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many kinds for a damaged file
        raise NukeRestoreError(f"not a readable checkpoint: {str(exc).splitlines()[0][:120]}",
                               str(p)) from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise NukeRestoreError("not a nuke_restore checkpoint (written by `nuke-restore train`)",
                               str(p))
    return ck


def model_from_checkpoint(path):
    ck = load_checkpoint(path)
    model = make_model(ck["settings"])
    try:
        model.load_state_dict(ck["model"])
    except (RuntimeError, KeyError) as exc:
        raise NukeRestoreError("the checkpoint's weights do not fit this version's network "
                               f"({str(exc).splitlines()[0][:100]})", str(path)) from None
    model.eval()
    return model, ck


def train(pairs: PairSet, settings: TrainSettings, out_dir, resume: bool = True,
          progress: bool = True) -> Dict[str, Any]:
    """Train on ``pairs``; returns the summary also written to ``<out>/<name>.json``."""
    import torch

    if settings.loss not in LOSSES:
        raise NukeRestoreError(f"unknown loss {settings.loss!r}; use one of {LOSSES}")
    if settings.steps < 1:
        raise NukeRestoreError("steps must be at least 1")
    size = min(settings.crop_size, min(min(s.shape[:2]) for s in pairs.sources))
    out = Path(out_dir)
    ckdir = out / "checkpoints"
    device = _device(settings.device)
    torch.manual_seed(settings.seed)
    if device.type == "cpu":
        # One thread by default: bit-identical reruns, and on a shared machine faster than two
        # contended ones (measured 13.6 vs 1.9 steps/s, Small 64 px, see docs/ml.md).
        torch.set_num_threads(settings.threads)
    model = make_model(settings.to_json()).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    rng = np.random.default_rng(settings.seed)
    step = 0
    history: List[List[float]] = []
    latest = out / f"{settings.name}.pt"
    if resume and latest.is_file():
        ck = load_checkpoint(latest)
        same = {k: v for k, v in ck["settings"].items()
                if k not in ("steps", "device", "checkpoint_interval", "threads")}
        mine = settings.to_json()
        diff = [k for k in same if same[k] != mine.get(k)]
        if diff:
            raise NukeRestoreError(f"cannot resume: settings differ from the checkpoint's "
                                   f"({', '.join(diff)}); use a new output folder", str(latest))
        try:
            model.load_state_dict(ck["model"])
        except RuntimeError as exc:
            raise NukeRestoreError("cannot resume: the checkpoint's weights do not fit this "
                                   f"version's network ({str(exc).splitlines()[0][:100]})",
                                   str(latest)) from None
        opt.load_state_dict(ck["optimizer"])
        rng.bit_generator.state = ck["numpy_rng"]
        torch.set_rng_state(ck["torch_rng"])
        step = int(ck["step"])
        history = list(ck.get("history", []))
        logger.info("resuming %s at step %d", latest, step)
    loss_fn = torch.nn.functional.l1_loss if settings.loss == "l1" else \
        torch.nn.functional.mse_loss
    from ..imaging.progress import progress_bar

    bar = progress_bar(total=settings.steps, desc=f"train {settings.name}", enabled=progress,
                       unit="step")
    bar.update(step)
    model.train()
    t0 = time.perf_counter()
    start = step
    window: List[float] = []
    try:
        while step < settings.steps:
            xb, yb = random_crops(pairs, rng, settings.batch_size, size)
            x = torch.from_numpy(xb).to(device)
            y = torch.from_numpy(yb).to(device)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            step += 1
            window.append(float(loss.detach()))
            bar.update(1)
            if step % 10 == 0 or step == settings.steps:
                history.append([step, float(np.mean(window))])
                bar.set_postfix_str(f"loss {history[-1][1]:.5f}")
                window = []
            if step % settings.checkpoint_interval == 0 or step == settings.steps:
                _save(model, opt, rng, step, settings, history, ckdir, latest)
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0
    summary = {
        "name": settings.name, "steps": step, "trained_steps": step - start,
        "seconds": round(elapsed, 3),
        "steps_per_second": round((step - start) / elapsed, 3) if elapsed > 0 else None,
        "final_loss": history[-1][1] if history else None,
        "first_loss": history[0][1] if history else None,
        "pairs": len(pairs.sources), "frames": [list(f) for f in pairs.frames],
        "epochs": pairs.epochs, "crop_size": size, "checkpoint": str(latest),
        "settings": settings.to_json(),
    }
    write_atomic(out / f"{settings.name}.json", json.dumps(summary, indent=1) + "\n")
    return summary


def _save(model, opt, rng, step: int, settings: TrainSettings, history, ckdir: Path,
          latest: Path) -> None:
    import torch

    ck = {"format": FORMAT, "model": model.state_dict(), "optimizer": opt.state_dict(),
          "step": step, "settings": settings.to_json(), "history": history,
          "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()}
    for target in (ckdir / f"{settings.name}.{step}.pt", latest):
        with atomic_output(target) as tmp:
            torch.save(ck, tmp)


def train_arrays(pairs: PairSet, steps: int, cosine: bool = False, **kw: Any):
    """Train in memory without writing (benchmarks, tests): returns (model, history, seconds).

    ``cosine`` decays the learning rate to zero over the run (cosine schedule).
    """
    import torch

    settings = TrainSettings.from_pairs(pairs, steps=steps, **kw)
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    model = make_model(settings.to_json())
    opt = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    rng = np.random.default_rng(settings.seed)
    loss_fn = torch.nn.functional.l1_loss if settings.loss == "l1" else \
        torch.nn.functional.mse_loss
    size = min(settings.crop_size, min(min(s.shape[:2]) for s in pairs.sources))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if cosine else None
    history = []
    t0 = time.perf_counter()
    for _ in range(steps):
        xb, yb = random_crops(pairs, rng, settings.batch_size, size)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(torch.from_numpy(xb)), torch.from_numpy(yb))
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        history.append(float(loss.detach()))
    model.eval()
    return model, history, time.perf_counter() - t0

