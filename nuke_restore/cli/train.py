"""``nuke-restore train``: learn headlessly from exactly the pairs the built CopyCat graph would see."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train",
        help="train a CopyCat-like model headlessly with PyTorch (no Nuke needed)",
        description=(
            "Replay the training graph of one shot (unit) and procedure headlessly - same "
            "training frames, alignment, crops, pre-filters and Y'CbCr packing - and train a "
            "portable U-Net on the pairs with CopyCat's step accounting (steps = epochs x pairs "
            "/ batch). Checkpoints carry their settings; running again on the same folder "
            "resumes. Needs the ml extra (pip install 'nuke-restore[ml]')."),
    )
    p.add_argument("config", help="job config (YAML)")
    p.add_argument("--shot", required=True, help="shot (or unit) name")
    p.add_argument("--procedure", required=True, help="procedure name in the config")
    p.add_argument("--stage", type=int, default=1, help="training stage (1-based; default 1)")
    p.add_argument("--steps", type=int, help="steps to train (default: the CopyCat node's)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--model-size", choices=("Small", "Medium", "Large"),
                   help="default: the config's copycat.model_size")
    p.add_argument("--crop-size", type=int, help="default: the config's (CopyCat's) crop size")
    p.add_argument("--batch-size", type=int, help="default: the config's copycat.batch_size")
    p.add_argument("--loss", choices=("l1", "l2"), default="l1")
    p.add_argument("--learning-rate", type=float, default=1e-4,
                   help="Adam learning rate (default 0.0001, CopyCat's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="CPU threads (default 1: reproducible)")
    p.add_argument("--checkpoint-interval", type=int, help="default: the config's")
    p.add_argument("--no-resume", action="store_true",
                   help="refuse to continue an existing run in -o instead of resuming it")
    p.add_argument("-o", "--outdir", required=True, help="folder for checkpoints and the summary")
    return p


def run(args) -> int:
    from pathlib import Path

    from .._optional import require

    require("torch", "ml")
    from ..config import load_config
    from ..errors import NukeRestoreError
    from ..ml import data, train

    cfg = load_config(args.config)
    pairs = data.load_pairs(cfg, args.shot, args.procedure, args.stage - 1, progress=True)
    proc = data.procedure(cfg, args.procedure)
    settings = train.TrainSettings.from_pairs(
        pairs, steps=args.steps, device=args.device, model_size=args.model_size,
        crop_size=args.crop_size, batch_size=args.batch_size, loss=args.loss,
        learning_rate=args.learning_rate, seed=args.seed, threads=args.threads,
        checkpoint_interval=args.checkpoint_interval or proc.copycat.checkpoint_interval)
    latest = Path(args.outdir) / f"{settings.name}.pt"
    if args.no_resume and latest.exists():
        raise NukeRestoreError("a run exists here; drop --no-resume to continue it or choose "
                               "another folder", str(latest))
    print(f"{pairs.unit} {pairs.procedure} stage {args.stage} ({pairs.pair}, {pairs.mode} mode): "
          f"{len(pairs.sources)} pairs, batch {settings.batch_size}, crop {settings.crop_size}, "
          f"CopyCat schedule {pairs.epochs} epochs = {pairs.steps} steps; training "
          f"{settings.steps} steps on {settings.device}")
    summary = train.train(pairs, settings, args.outdir, resume=True, progress=True)
    print(f"{summary['steps']} steps, loss {summary['first_loss']:.5f} -> "
          f"{summary['final_loss']:.5f}, {summary['steps_per_second']} steps/s "
          f"-> {summary['checkpoint']}")
    return 0
