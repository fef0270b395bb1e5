"""Safe output: atomic writes and never overwriting a user's file without consent."""
from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, List, Union

from .errors import OutputError, OutputExistsError

PathLike = Union[str, "os.PathLike[str]"]

_VERSION_RE = re.compile(r"^(?P<stem>.*?)(?:_v(?P<num>\d+))?$")


def check_output(path: PathLike, *, force: bool = False) -> Path:
    """Raise before any work is done if ``path`` could not be written as a file.

    Checks, in order: a folder in its place (OutputError), an existing file without ``force``
    (OutputExistsError), and the nearest existing ancestor being a file or not writable (OutputError).
    Commands call this for every output up front, so one bad output never leaves the others
    half-written.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError("is a folder; give a file name", path=str(path))
    if not force and (path.exists() or path.is_symlink()):
        raise OutputExistsError("exists; use --force to overwrite", path=str(path))
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot create: {parent} is a file, not a folder", path=str(path))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write: folder {parent} is not writable", path=str(path))
    return path


def check_outputs(paths, *, force: bool = False) -> None:
    """``check_output`` for every path that is not None/empty."""
    for p in paths:
        if p:
            check_output(p, force=force)


def missing_folders(path: PathLike) -> List[Path]:
    """The folders on the way to ``path`` that do not exist yet, deepest first.

    Taken before a multi-file write, so that a rollback can remove the folders it created.
    """
    out: List[Path] = []
    parent = Path(path).parent
    while not parent.exists() and parent != parent.parent:
        out.append(parent)
        parent = parent.parent
    return out


def remove_empty_folders(folders: Iterable[PathLike]) -> None:
    """Remove each folder that is empty (deepest first, as ``missing_folders`` lists them)."""
    for folder in folders:
        try:
            os.rmdir(folder)
        except OSError:
            pass  # not empty (someone else's file) or already gone: leave it


@contextmanager
def atomic_output(path: PathLike, *, force: bool = True) -> Iterator[str]:
    """Yield a temporary path beside ``path`` to write to; on success it is renamed over ``path``.

    Readers never see a half-written file; on any error the temporary file is removed and the target
    is untouched. The temporary file keeps ``path``'s extension, so format-guessing writers (OpenImageIO)
    pick the right format. With ``force=False`` an existing file raises OutputExistsError; a target
    that cannot be written (a folder in its place, a read-only parent) raises OutputError.
    """
    path = check_output(path, force=force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix,
                                   dir=str(path.parent))
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from exc
    try:
        yield tmp
        # mkstemp creates 0600; give the file the mode a plain open() would (0666 - umask).
        umask = os.umask(0)
        os.umask(umask)
        try:
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from exc
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_atomic(path: PathLike, data: Union[str, bytes], *, force: bool = True) -> Path:
    """Write ``data`` (text is UTF-8 encoded) to ``path`` atomically; see ``atomic_output``."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_output(path, force=force) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(raw)
    return Path(path)


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
