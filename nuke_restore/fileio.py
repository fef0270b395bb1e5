"""Safe output: atomic writes and never overwriting a user's file without consent."""
from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple, Union

from .dirfd import DIR_FD as _DIR_FD  # read at call time: tests switch the fd path off here
from .dirfd import O_CLOEXEC as _O_CLOEXEC
from .dirfd import O_DIR as _O_DIR
from .dirfd import O_NEW as _O_NEW
from .dirfd import DirWalker, FdCache
from .dirfd import refuse_link as _refuse_link
from .dirfd import write_fd as _write_fd
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
        # Signals held: an interrupt between creating the temporary file and the clean-up below
        # taking charge of it would leave a 0-byte file behind.
        with deferred_signals():
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


# ---------------------------------------------------------------------------------------------------
# Paths a config chooses inside an output folder, and builds as transactions.

LOCK_NAME = ".nuke-restore.lock"
STAGING_PREFIX = ".nuke-restore-staging."
# Test hook only: seconds to sleep after staging each file, so a test can interrupt a build
# half way. Never set in production.
_DELAY_ENV = "NUKE_RESTORE_TEST_WRITE_DELAY"


def inside_problem(rel: str) -> Optional[str]:
    """Why ``rel`` (a path a config chose) would not stay inside the output folder, or None.

    Refused: absolute paths (``/x``, ``~/x``, ``C:/x``, ``//host/x``), any ``..`` component,
    backslashes, empty names and control characters.
    """
    if not isinstance(rel, str) or not rel.strip():
        return "expected a path inside the output folder"
    if "\\" in rel:
        return "use forward slashes in paths"
    if any(ord(c) < 32 or ord(c) == 0x7F for c in rel):
        return "a path may not contain control characters or line breaks"
    if rel.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", rel):
        return f"{rel!r} is absolute; give a path inside the output folder"
    parts = rel.split("/")
    if any(p == ".." for p in parts):
        return f"{rel!r} leaves the output folder ('..'); give a path inside it"
    if not parts[-1] or parts[-1] == ".":
        return f"{rel!r} names a folder; give a file name"
    return None


def _parts(rel: str) -> List[str]:
    problem = inside_problem(rel)
    if problem is not None:
        raise OutputError(problem, path=rel)
    return [p for p in rel.split("/") if p not in ("", ".")]


def read_inside(root: PathLike, rel: str) -> Optional[bytes]:
    """The bytes of root/rel, or None when it does not exist; no symbolic link is followed
    (OutputError), and only a regular file is read."""
    root = Path(root)
    parts = _parts(rel)
    walker = DirWalker(root, _DIR_FD)
    fd = walker.open_dir(parts[:-1], create=False)
    if fd == -1:
        return None
    target = root.joinpath(*parts)
    try:
        if fd is None:
            try:
                st = os.lstat(target)
            except FileNotFoundError:
                return None
            if stat.S_ISLNK(st.st_mode):
                raise _refuse_link(target)
            ffd = os.open(str(target), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        else:
            try:
                ffd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
            except FileNotFoundError:
                return None
            except OSError as exc:
                if exc.errno == errno.ELOOP or os.path.islink(target):
                    raise _refuse_link(target) from None
                raise
    finally:
        if fd not in (None, -1):
            os.close(fd)
    with os.fdopen(ffd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OutputError("is not a regular file", path=str(target))
        return fh.read()


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@contextmanager
def deferred_signals() -> Iterator[None]:
    """SIGINT/SIGTERM arriving inside the block are held and delivered when it ends.

    Used around the few renames that land a build and around its rollback, so an interrupt never
    leaves half of it. A no-op outside the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: List[int] = []
    sigs = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    old = {}
    for s in sigs:
        old[s] = signal.signal(s, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if pending:
            signum = pending[0]
            handler = old.get(signum)
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                if signum == signal.SIGINT:
                    raise KeyboardInterrupt
                os.kill(os.getpid(), signum)


class OutputTransaction:
    """Write a set of files into ``out_dir`` so that they all land or none does.

    ``with OutputTransaction(out) as tx: tx.write(rel, data); ...; tx.commit()``. While it is
    open, a lock file ``out/.nuke-restore.lock`` (holding the PID) refuses a second writer to
    the same folder; a lock left by a process that no longer runs is taken over. Files are
    written into a hidden staging folder inside ``out`` (so the final moves are renames on one
    file system) and moved into place by ``commit()`` with SIGINT/SIGTERM held back; a file a
    move would replace is kept until every move succeeded, so a failure half way puts everything
    back. Leaving the block without ``commit()`` (an error, Ctrl-C) removes the staging folder:
    nothing of this transaction remains. Relative paths must stay inside ``out``
    (``inside_problem``) and no symbolic link inside ``out`` is ever followed (OutputError).
    """

    def __init__(self, out_dir: PathLike) -> None:
        self.out = Path(out_dir)
        self.root: Optional[Path] = None
        self.staging: Optional[Path] = None
        self.lock: Optional[Path] = None
        self.files: List[Tuple[List[str], Optional[int], bool]] = []  # (parts, mode, replace)
        self._staged_folders: Set[Tuple[str, ...]] = set()  # created in staging by write()
        # POSIX: the output and staging folders stay open; files and folders are made relative
        # to them (dir_fd), each staging folder once, without following any symbolic link.
        self._root_fd: Optional[int] = None
        self._staging_fd: Optional[int] = None
        self._staged: Optional[FdCache] = None
        self._umask = 0o022
        self.folders: List[List[str]] = []
        self.removals: List[List[str]] = []
        self.committed = False
        self._made: List[Path] = []
        try:
            self._delay = max(0.0, min(10.0, float(os.environ.get(_DELAY_ENV, "0") or 0)))
        except ValueError:
            self._delay = 0.0

    # -- opening and closing --------------------------------------------------------------------
    def __enter__(self) -> OutputTransaction:
        if self.out.exists() and not self.out.is_dir():
            raise OutputError("the output folder is a file", path=str(self.out))
        self._made = missing_folders(self.out / "x")  # removed again when nothing lands
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the output folder: {exc.strerror or exc}",
                              path=str(self.out)) from None
        self.root = Path(os.path.realpath(self.out))
        try:
            self._acquire()
        except BaseException:
            remove_empty_folders(self._made)
            raise
        try:
            with deferred_signals():
                self.staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}.",
                                                     dir=str(self.root)))
                if _DIR_FD:
                    self._root_fd = os.open(str(self.root), os.O_RDONLY | os.O_DIRECTORY
                                            | _O_CLOEXEC)
                    self._staging_fd = os.open(self.staging.name, _O_DIR, dir_fd=self._root_fd)
                    self._staged = FdCache(self._staging_fd, self.staging, self._staged_folders)
        except BaseException:
            self._close_fds()
            self._discard_staging()
            self._release()
            remove_empty_folders(self._made)
            raise
        self._umask = os.umask(0)
        os.umask(self._umask)
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            with deferred_signals():
                self._close()
        finally:
            self._close()  # idempotent: again, if a signal landed before the hold began

    def _close(self) -> None:
        self._close_fds()
        self._discard_staging()
        self._release()
        if not self.committed:
            remove_empty_folders(self._made)
            self._made = []

    def _acquire(self) -> None:
        assert self.root is not None
        lock = self.root / LOCK_NAME
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        for _attempt in range(2):
            try:
                with deferred_signals():
                    fd = os.open(str(lock), flags, 0o644)
                    with os.fdopen(fd, "w") as fh:
                        fh.write(f"{os.getpid()}\n")
                    self.lock = lock
                return
            except FileExistsError:
                holder = self._lock_holder(lock)
                if holder is not None and _pid_alive(holder):
                    raise OutputError(f"another nuke-restore (PID {holder}) is writing to this "
                                      f"folder; wait for it to finish, or remove {lock} if that "
                                      "process is gone", path=str(self.out)) from None
                # A stale lock (its process is gone): take it over, and sweep its staging.
                try:
                    os.unlink(lock)
                except FileNotFoundError:
                    pass
                self._sweep_stale()
            except OSError as exc:
                raise OutputError(f"cannot create the lock file: {exc.strerror or exc}",
                                  path=str(lock)) from None
        raise OutputError("cannot take the lock of the output folder", path=str(lock))

    @staticmethod
    def _lock_holder(lock: Path) -> Optional[int]:
        try:
            text = read_inside(lock.parent, lock.name) or b""
        except (OSError, OutputError):
            return None
        try:
            return int(text.decode("ascii", "replace").split()[0])
        except (ValueError, IndexError):
            return None

    def _sweep_stale(self) -> None:
        assert self.root is not None
        for entry in os.scandir(self.root):
            if entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False):
                pid = entry.name[len(STAGING_PREFIX):].split(".")[0]
                if pid.isdigit() and not _pid_alive(int(pid)):
                    shutil.rmtree(entry.path, ignore_errors=True)

    def _release(self) -> None:
        if self.lock is not None:
            if self._lock_holder(self.lock) == os.getpid():
                try:
                    os.unlink(self.lock)
                except OSError:
                    pass
            self.lock = None

    def _close_fds(self) -> None:
        if self._staged is not None:
            self._staged.close()
            self._staged = None
        for attr in ("_staging_fd", "_root_fd"):
            fd = getattr(self, attr)
            if fd is not None:
                setattr(self, attr, None)
                os.close(fd)

    def _discard_staging(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    # -- staging ---------------------------------------------------------------------------------
    def exists(self, rel: str) -> bool:
        """Whether root/rel exists (a symbolic link counts: it will be replaced, not followed)."""
        assert self.root is not None
        parts = _parts(rel)
        for i in range(1, len(parts) + 1):
            try:
                if self._root_fd is not None:  # one fstatat relative to the open output folder
                    st = os.stat("/".join(parts[:i]), dir_fd=self._root_fd,
                                 follow_symlinks=False)
                else:
                    st = os.lstat(self.root.joinpath(*parts[:i]))
            except (FileNotFoundError, NotADirectoryError):
                return False
            if stat.S_ISLNK(st.st_mode):
                return True
        return True

    def read(self, rel: str) -> Optional[bytes]:
        """The current bytes of root/rel (None when absent), never through a symbolic link."""
        assert self.root is not None
        return read_inside(self.root, rel)

    def write(self, rel: str, data: Union[str, bytes], mode: Optional[int] = None,
              replace: bool = True) -> Path:
        """Stage ``data`` for root/rel (``mode``: permission bits, e.g. 0o755 for scripts).

        With ``replace=False`` the commit refuses (OutputExistsError, nothing lands) when root/rel
        exists by then: checked immediately before the file is moved into place."""
        assert self.staging is not None, "write() outside the with block"
        parts = _parts(rel)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        perm = 0o666 if mode is None else mode
        if self._staged is not None:
            # The staging folder is this transaction's own: each of its folders is created once
            # (no mkdir of a folder it just made) and kept open while files go into it.
            self._staged.reach(parts[:-1])
            try:
                fd = os.open(parts[-1], _O_NEW, perm, dir_fd=self._staged.fd)
            except FileExistsError:
                raise OutputError(f"two outputs share the path {rel}",
                                  path=str(self.out / rel)) from None
            try:
                _write_fd(fd, raw)
                if mode is not None:
                    os.fchmod(fd, mode & ~self._umask)
            finally:
                os.close(fd)
        else:
            self._write_by_path(parts, rel, raw, perm, mode)
        self.files.append((parts, mode, replace))
        if self._delay:
            time.sleep(self._delay)
        return self.out / "/".join(parts)

    def _write_by_path(self, parts: List[str], rel: str, raw: bytes, perm: int,
                       mode: Optional[int]) -> None:
        """``write`` where folders cannot be opened by fd (Windows)."""
        assert self.staging is not None
        folder = self.staging.joinpath(*parts[:-1])
        if tuple(parts[:-1]) not in self._staged_folders:  # one mkdir per folder, not per file
            folder.mkdir(parents=True, exist_ok=True)
            self._staged_folders.add(tuple(parts[:-1]))
        target = folder / parts[-1]
        try:
            fd = os.open(str(target), _O_NEW | getattr(os, "O_BINARY", 0), perm)
        except FileExistsError:
            raise OutputError(f"two outputs share the path {rel}", path=str(self.out / rel)) \
                from None
        try:
            _write_fd(fd, raw)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(target, mode & ~self._umask)

    def remove(self, rel: str) -> None:
        """Remove file root/rel on commit (put back if the commit fails); a folder is left."""
        self.removals.append(_parts(rel))

    def mkdir(self, rel: str) -> None:
        """Create folder root/rel on commit (with its parents)."""
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        _parts("/".join(parts + ["x"]))
        self.folders.append(parts)

    # -- landing ---------------------------------------------------------------------------------
    def commit(self) -> None:
        """Move every staged file into place, all or nothing (see the class).

        A folder the output lacks is moved in whole with everything staged below it (one rename);
        into a folder the output has, files move one by one, a file they replace going to a
        backup until all moved. Folders asked for with ``mkdir`` are made last, where still
        missing."""
        assert self.root is not None and self.staging is not None
        if self._staged is None:
            self._commit_by_path()
            return
        assert self._root_fd is not None and self._staging_fd is not None
        dest = FdCache(self._root_fd, self.root)
        staged = self._staged
        staged.made = None  # landing only opens staged folders, it never makes one
        backup: List[Optional[int]] = [None]  # fd of staging/.replaced, made when first needed
        created: List[Path] = []
        # (parent folder, name, moved from staging?, name in the backup of what was there)
        moved: List[Tuple[Tuple[str, ...], str, bool, Optional[str]]] = []
        current: Path = self.out
        with deferred_signals():
            try:
                landed: Set[Tuple[str, ...]] = set()  # folders moved into place whole
                for k, (parts, _mode, replace) in enumerate(self.files):
                    parent = tuple(parts[:-1])
                    if any(parent[:i] in landed for i in range(1, len(parent) + 1)):
                        continue  # in a folder moved into place whole, with it
                    current = self.root.joinpath(*parts)
                    depth = dest.reach(parent)
                    if depth < len(parent):  # root/parent[:depth + 1] is missing: move it whole
                        top = parent[:depth + 1]
                        current = self.root.joinpath(*top)
                        staged.reach(top[:-1])
                        st = os.stat(top[-1], dir_fd=staged.fd, follow_symlinks=False)
                        if not stat.S_ISDIR(st.st_mode):  # a link planted in the staging
                            raise _refuse_link(self.staging.joinpath(*top))
                        os.rename(top[-1], top[-1], src_dir_fd=staged.fd, dst_dir_fd=dest.fd)
                        moved.append((top[:-1], top[-1], True, None))
                        landed.add(top)
                        continue
                    name = parts[-1]
                    old = self._to_backup(dest.fd, name, str(k), current, backup,
                                          replace=replace)
                    staged.reach(parent)
                    try:
                        os.rename(name, name, src_dir_fd=staged.fd, dst_dir_fd=dest.fd)
                    except BaseException:
                        if old is not None:  # the user's file is in the backup: put it back
                            os.rename(old, name, src_dir_fd=backup[0], dst_dir_fd=dest.fd)
                        raise
                    moved.append((parent, name, True, old))
                for k, parts in enumerate(self.removals):
                    parent = tuple(parts[:-1])
                    current = self.root.joinpath(*parts)
                    if dest.reach(parent) < len(parent):
                        continue
                    old = self._to_backup(dest.fd, parts[-1], f"removed{k}", current, backup,
                                          folder_ok=True)
                    if old is not None:
                        moved.append((parent, parts[-1], False, old))
                walker = DirWalker(self.root, _DIR_FD)
                for parts in self.folders:
                    current = self.root.joinpath(*parts)
                    fd = walker.open_dir(parts, create=True, created=created)
                    if fd not in (None, -1):
                        os.close(fd)
            except BaseException as exc:
                self._undo_fd(moved, created, dest, staged, backup[0])
                if isinstance(exc, OSError) and not isinstance(exc, OutputError):
                    raise OutputError(f"cannot write: {exc.strerror or exc}",
                                      path=str(current)) from None
                raise
            finally:
                dest.close()
                if backup[0] is not None:
                    os.close(backup[0])
            self.committed = True

    def _to_backup(self, dir_fd: int, name: str, backup_name: str, path: Path,
                   backup: List[Optional[int]], folder_ok: bool = False,
                   replace: bool = True) -> Optional[str]:
        """Move what is at ``name`` in ``dir_fd`` (never following a link) to the backup; its name
        there, or None when nothing is there (or, with ``folder_ok``, a folder is)."""
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if not replace:
            raise OutputExistsError("exists; use --force to overwrite", path=str(path))
        if stat.S_ISDIR(st.st_mode):
            if folder_ok:
                return None
            raise OutputError("is a folder; cannot replace it with a file", path=str(path))
        if backup[0] is None:
            assert self._staging_fd is not None
            os.mkdir(".replaced", 0o700, dir_fd=self._staging_fd)
            backup[0] = os.open(".replaced", _O_DIR, dir_fd=self._staging_fd)
        os.rename(name, backup_name, src_dir_fd=dir_fd, dst_dir_fd=backup[0])
        return backup_name

    def _undo_fd(self, moved: List[Tuple[Tuple[str, ...], str, bool, Optional[str]]],
                 created: List[Path], dest: FdCache, staged: FdCache,
                 backup_fd: Optional[int]) -> None:
        for parent, name, from_staging, old in reversed(moved):
            try:
                if dest.reach(parent) < len(parent):
                    continue
                if from_staging:
                    staged.reach(parent)
                    os.rename(name, name, src_dir_fd=dest.fd, dst_dir_fd=staged.fd)
                if old is not None and backup_fd is not None:
                    os.rename(old, name, src_dir_fd=backup_fd, dst_dir_fd=dest.fd)
            except (OSError, OutputError):
                pass
        _remove_empty(created)

    def _commit_by_path(self) -> None:
        """``commit`` where folders cannot be opened by fd (Windows): paths checked with lstat."""
        assert self.root is not None and self.staging is not None
        walker = DirWalker(self.root, _DIR_FD)
        backup = self.staging / ".replaced"
        created: List[Path] = []
        # (staged or None for a removal, dest, backup of what dest was)
        moved: List[Tuple[Optional[Path], Path, Optional[Path]]] = []
        with deferred_signals():
            try:
                for parts in self.folders:
                    fd = walker.open_dir(parts, create=True, created=created)
                    if fd not in (None, -1):
                        os.close(fd)
                landed: Dict[Tuple[str, ...], bool] = {}  # parent folder -> moved in whole
                for k, (parts, _mode, replace) in enumerate(self.files):
                    parent = tuple(parts[:-1])
                    if parent not in landed:
                        landed[parent] = self._land_new_folder(parent, walker, moved, landed)
                    if landed[parent]:
                        continue  # its folder was moved into place whole, this file with it
                    dest = self.root.joinpath(*parts)
                    old: Optional[Path] = None
                    if os.path.lexists(dest):
                        if not replace:
                            raise OutputExistsError("exists; use --force to overwrite",
                                                    path=str(dest))
                        if os.path.isdir(dest) and not os.path.islink(dest):
                            raise OutputError("is a folder; cannot replace it with a file",
                                              path=str(dest))
                        backup.mkdir(exist_ok=True)
                        old = backup / str(k)
                        os.rename(dest, old)
                    staged = self.staging.joinpath(*parts)
                    try:
                        os.rename(staged, dest)
                    except BaseException:
                        if old is not None:  # the user's file is in the backup: put it back
                            os.rename(old, dest)
                        raise
                    moved.append((staged, dest, old))
                for k, parts in enumerate(self.removals):
                    fd = walker.open_dir(parts[:-1], create=False)
                    if fd == -1:
                        continue
                    if fd is not None:
                        os.close(fd)
                    dest = self.root.joinpath(*parts)
                    if os.path.lexists(dest) and not os.path.isdir(dest):
                        backup.mkdir(exist_ok=True)
                        old = backup / f"removed{k}"
                        os.rename(dest, old)
                        moved.append((None, dest, old))
            except BaseException as exc:
                self._undo(moved, created)
                if isinstance(exc, OSError) and not isinstance(exc, OutputError):
                    raise OutputError(f"cannot write: {exc.strerror or exc}",
                                      path=str(exc.filename or self.out)) from None
                raise
            self.committed = True

    def _land_new_folder(self, parent: Tuple[str, ...], walker: DirWalker,
                         moved: List[Tuple[Optional[Path], Path, Optional[Path]]],
                         landed: Dict[Tuple[str, ...], bool]) -> bool:
        """Move the shallowest folder on the way to ``parent`` that the output lacks into place
        whole: one rename instead of a mkdir per folder and a rename per file (creating folders
        costs ~0.4 ms each on ext4, and a build stages a sidecar folder per shot). False when
        ``parent`` already exists; the walk to it follows no symbolic link."""
        if any(landed.get(parent[:i]) for i in range(1, len(parent) + 1)):
            return True
        for i in range(len(parent) + 1):
            fd = walker.open_dir(parent[:i], create=False)
            if fd == -1:
                top = parent[:i]
                staged, dest = self.staging.joinpath(*top), self.root.joinpath(*top)
                os.rename(staged, dest)
                moved.append((staged, dest, None))
                landed[top] = True
                return True
            if fd is not None:
                os.close(fd)
        return False

    @staticmethod
    def _undo(moved: List[Tuple[Optional[Path], Path, Optional[Path]]],
              created: List[Path]) -> None:
        for staged, dest, old in reversed(moved):
            try:
                if staged is not None:
                    os.rename(dest, staged)
                if old is not None:
                    os.rename(old, dest)
            except OSError:
                pass
        _remove_empty(created)


def _remove_empty(folders) -> None:
    """Remove the folders a failed landing created, newest first (those still empty)."""
    for folder in reversed(folders):
        try:
            os.rmdir(folder)
        except OSError:
            pass
