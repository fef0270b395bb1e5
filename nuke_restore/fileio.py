"""Safe output: atomic writes and never overwriting a user's file without consent."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Union

from .errors import OutputExistsError

PathLike = Union[str, "os.PathLike[str]"]

_VERSION_RE = re.compile(r"^(?P<stem>.*?)(?:_v(?P<num>\d+))?$")


def write_atomic(path: PathLike, data: Union[str, bytes], *, force: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    Readers never see a half-written file; on any error the target is untouched.
    With ``force=False`` an existing file raises OutputExistsError.
    """
    path = Path(path)
    if not force and path.exists():
        raise OutputExistsError("exists; use --force to overwrite", path=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        # mkstemp creates 0600; give the file the mode a plain open() would (0666 - umask).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def next_version(path: PathLike) -> Path:
    """The first ``<stem>_vNNN<suffix>`` beside ``path`` that does not exist yet.

    ``shot.nk`` -> ``shot_v002.nk`` when ``shot.nk`` exists; ``shot_v002.nk`` -> ``shot_v003.nk``.
    """
    path = Path(path)
    if not path.exists():
        return path
    m = _VERSION_RE.match(path.stem)
    stem = m.group("stem") if m else path.stem
    num = int(m.group("num")) if m and m.group("num") else 1
    while True:
        num += 1
        cand = path.with_name(f"{stem}_v{num:03d}{path.suffix}")
        if not cand.exists():
            return cand
