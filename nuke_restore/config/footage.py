"""Check a job config against the footage on disk before scripts are built for it.

Scripts may be built on a machine that does not see the plates, so a clip whose files are not found
at all is only reported (``check_footage`` returns the notes). When the files are there, every frame
of the clip's range must exist (for the Reference: every frame its ``reference_offset`` or
``frame_map`` points at), and each sequence's first frame must be the project format (a Reference
may be another size of the same shape: the built scripts reformat it): otherwise
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
            if role == "reference" and clip.frame_map is not None:
                # The Reference is numbered its own way: the frames the map points at must exist.
                want = sorted({r for _f, r in clip.refmap.pairs(range(clip.first, clip.last + 1))})
                what = (f"reference frames the clip's {_map_name(clip)} maps source frames "
                        f"{clip.first} to {clip.last} to")
            else:
                want = list(range(clip.first, clip.last + 1))
                what = f"frame(s) of the clip's range ({clip.first} to {clip.last})"
            missing = [f for f in want if f not in have]
            if missing:
                raise error(f"{len(missing)} {what} missing from {path}: "
                            f"{_format_frames(missing)}")
            first = seq.path(want[0])
            try:
                width, height, _channels = _size(first)
            except MissingDependencyError:
                notes.append(f"{field}: sizes not checked: OpenImageIO is not installed")
                continue
            except ImagingError as exc:
                raise error(f"cannot read frame {want[0]}: {exc}") from None
            if role == "reference":
                # Another size is fine: the built scripts reformat the Reference to the project
                # format right after its Read (Reformat_REF). Only a different shape is refused.
                if abs(width / height - fmt.width / fmt.height) > 0.01 * fmt.width / fmt.height:
                    raise error(f"{first} is {width}x{height}, another picture shape than "
                                f"project.format {fmt.width}x{fmt.height}; crop or pad the "
                                "reference to the same aspect ratio first")
                continue
            if (width, height) != (fmt.width, fmt.height):
                raise error(f"{first} is {width}x{height} but project.format is "
                            f"{fmt.width}x{fmt.height}; every clip's frames must be the project "
                            "format")
    return notes


def _map_name(clip) -> str:
    if clip.frame_map_file:
        return f"frame map {clip.frame_map_file}"
    return clip.map_name


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
