"""Folders walked and written relative to open folder fds, never following a symbolic link.

The ground under ``fileio``'s output folder rules and ``OutputTransaction``: each folder is opened
relative to its parent with ``O_NOFOLLOW`` (POSIX ``dir_fd``), so a symbolic link planted anywhere
inside an output folder is refused instead of followed; ``FdCache`` keeps the folders a build is
writing into open, so thousands of files cost one open per folder, not a walk per file. Where
``dir_fd`` is missing (Windows), ``DirWalker`` checks each component with ``lstat`` instead.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from .errors import OutputError

DIR_FD = os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd and \
    os.rename in os.supports_dir_fd and os.stat in os.supports_dir_fd and \
    os.stat in os.supports_follow_symlinks and hasattr(os, "O_NOFOLLOW") and \
    hasattr(os, "O_DIRECTORY")
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# A folder opened without following a link in its place; a new file that must not exist yet.
O_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | O_CLOEXEC
O_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | O_CLOEXEC


def refuse_link(path: Path) -> OutputError:
    return OutputError("is a symbolic link inside the output folder; refusing to follow it "
                       "(remove it)", path=str(path))


def not_a_folder(path: Path) -> OutputError:
    return OutputError(f"cannot create: {path} is a file, not a folder", path=str(path))


class DirWalker:
    """Opens folders under ``root`` one component at a time without following symbolic links."""

    def __init__(self, root: Path, by_fd: bool = DIR_FD) -> None:
        self.root = root
        self.by_fd = by_fd and DIR_FD

    def open_dir(self, parts: Sequence[str], create: bool,
                 created: Optional[List[Path]] = None) -> Optional[int]:
        """A file descriptor of root/parts (POSIX), None where dir_fd is unsupported (checked
        with lstat instead), or raises OutputError. ``create`` makes missing folders (listed in
        ``created``, shallowest first). Returns -1 when a folder is missing and not created."""
        here = self.root
        if not self.by_fd:
            for part in parts:
                here = here / part
                try:
                    st = os.lstat(here)
                except FileNotFoundError:
                    if not create:
                        return -1
                    os.mkdir(here)
                    if created is not None:
                        created.append(here)
                    continue
                if stat.S_ISLNK(st.st_mode):
                    raise refuse_link(here)
                if not stat.S_ISDIR(st.st_mode):
                    raise not_a_folder(here)
            return None
        fd = os.open(str(self.root), os.O_RDONLY | os.O_DIRECTORY | O_CLOEXEC)
        try:
            for part in parts:
                here = here / part
                try:
                    nfd = open_dir_at(fd, part, here)
                except FileNotFoundError:
                    if not create:
                        os.close(fd)
                        return -1
                    os.mkdir(part, 0o777, dir_fd=fd)
                    if created is not None:
                        created.append(here)
                    nfd = open_dir_at(fd, part, here)
                os.close(fd)
                fd = nfd
        except BaseException:
            os.close(fd)
            raise
        return fd


def open_dir_at(parent_fd: int, name: str, path: Path) -> int:
    """The fd of folder ``name`` in ``parent_fd`` (FileNotFoundError when missing); a symbolic
    link or a file in its place raises OutputError. ``path`` is only for the message."""
    try:
        return os.open(name, O_DIR, dir_fd=parent_fd)
    except FileNotFoundError:
        raise
    except OSError as exc:
        try:
            st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        except OSError:
            raise exc from None
        if stat.S_ISLNK(st.st_mode):
            raise refuse_link(path) from None
        if not stat.S_ISDIR(st.st_mode):
            raise not_a_folder(path) from None
        raise


class FdCache:
    """Open folder fds below a root fd, kept for reuse (POSIX, dir_fd).

    Every folder is opened relative to its parent with O_NOFOLLOW: no symbolic link is followed.
    Files in one folder, or in folders sharing a parent, reuse the fds of the folders already open
    instead of walking from the root again; the ``limit`` most recently used stay open, so a build
    of thousands of folders holds a few dozen fds at most. With ``made`` (the staging tree, which
    only this transaction writes to), a folder not in ``made`` is created first, without asking
    whether it exists; ``made`` is updated."""

    def __init__(self, root_fd: int, root: Path,
                 made: Optional[Set[Tuple[str, ...]]] = None, limit: int = 32) -> None:
        self.root_fd = root_fd
        self.root = root
        self.made = made
        self.limit = max(1, limit)
        self.open: Dict[Tuple[str, ...], int] = {}  # insertion order = least recently used first
        self.fd = root_fd  # the deepest folder the last reach() got to

    def reach(self, parts: Sequence[str]) -> int:
        """Open root/parts as deep as it exists; returns how many components exist (all of them:
        ``len(parts)``), the deepest one being ``self.fd``."""
        key = tuple(parts)
        have = len(key)
        while have and key[:have] not in self.open:
            have -= 1
        fd = self.root_fd
        if have:
            fd = self.open.pop(key[:have])
            self.open[key[:have]] = fd  # most recently used
        for i in range(have, len(key)):
            sub = key[:i + 1]
            if self.made is not None and sub not in self.made:
                os.mkdir(key[i], 0o777, dir_fd=fd)
                self.made.add(sub)
            try:
                fd = open_dir_at(fd, key[i], self.root.joinpath(*sub))
            except FileNotFoundError:
                self.fd = fd
                return i
            self.open[sub] = fd
            if len(self.open) > self.limit:  # never the fd just opened: it is the newest
                os.close(self.open.pop(next(iter(self.open))))
        self.fd = fd
        return len(key)

    def close(self) -> None:
        fds, self.open = list(self.open.values()), {}
        self.fd = self.root_fd
        for fd in fds:
            os.close(fd)


def write_fd(fd: int, raw: bytes) -> None:
    """All of ``raw`` to ``fd`` with os.write (no buffered file object: no isatty/lseek/fstat)."""
    view = memoryview(raw)
    while view:
        view = view[os.write(fd, view):]
