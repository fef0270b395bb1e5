"""Check a job config against the footage on disk before scripts are built for it.

Scripts may be built on a machine that does not see the plates, so a clip whose files are not found
at all is only reported (``check_footage`` returns the notes). When the files are there, every frame
of the clip's range must exist and each sequence's first frame must be the project format: otherwise
a ConfigError names the config file, the line and the clip field (``clips.main.reference``).

Needs the ``imaging`` extra for the sizes (OpenImageIO reads the headers only); without it only the
frame ranges are checked.
"""
from __future__ import annotations

from typing import Iterable, List, Optional

from ..errors import ConfigError, ImagingError, MissingDependencyError
from .model import JobConfig

ROLES = ("source", "reference", "balanced")


def check_footage(cfg: JobConfig, clips: Optional[Iterable[str]] = None) -> List[str]:
    """Raise ConfigError for missing frames or a size other than the project format.

    Args:
        cfg: the loaded job config (paths relative to ``cfg.base_dir``).
        clips: only these clip names (default: all).

    Returns:
        notes on sequences that could not be checked (not found at all, or no OpenImageIO).
    """
    try:
        from ..imaging.sequence import FrameSequence, _format_frames
    except ImportError:  # numpy missing: a bare install builds without looking at the footage
        return ["footage not checked: the imaging extra is not installed"]
    notes: List[str] = []
    names = list(cfg.clips) if clips is None else [c for c in cfg.clips if c in set(clips)]
    fmt = cfg.project.format
    for name in names:
        clip = cfg.clips[name]
        for role in ROLES:
            rel = getattr(clip, role)
            if not rel:
                continue
            field = f"clips.{name}.{role}"
            line, col = clip.pos.get(role, (None, None))
            path = cfg.base_dir / rel

            def error(message: str, line=line, col=col, field=field) -> ConfigError:
                return ConfigError(message, cfg.path, line, col, field=field)

            try:
                seq = FrameSequence.from_path(str(path))
            except ImagingError:
                notes.append(f"{field}: no files match {path}; frames and sizes not checked")
                continue
            have = set(seq.frames)
            missing = [f for f in range(clip.first, clip.last + 1) if f not in have]
            if missing:
                raise error(f"{len(missing)} frame(s) of the clip's range ({clip.first} to "
                            f"{clip.last}) missing from {path}: {_format_frames(missing)}")
            first = seq.path(clip.first)
            try:
                width, height, _channels = _size(first)
            except MissingDependencyError:
                notes.append(f"{field}: sizes not checked: OpenImageIO is not installed")
                continue
            except ImagingError as exc:
                raise error(f"cannot read frame {clip.first}: {exc}") from None
            if (width, height) != (fmt.width, fmt.height):
                raise error(f"{first} is {width}x{height} but project.format is "
                            f"{fmt.width}x{fmt.height}; every clip's frames must be the project "
                            "format")
    return notes


def clips_for_shots(cfg: JobConfig, names: Optional[Iterable[str]] = None) -> List[str]:
    """The clips holding the shots (or scenes) named, as ``--shot`` selects them; all without names."""
    wanted = set(names or ())
    if not wanted:
        return list(cfg.clips)
    # An unknown name selects nothing here; the build reports it.
    return list(dict.fromkeys(s.clip for s in cfg.shots if wanted & {s.name, s.scene}))


def _size(path: str):
    """Width, height and channels from the header of one image (no pixels are read)."""
    from ..imaging.sequence import image_spec

    return image_spec(path)
