"""One exception tree for the whole project.

Every error a user can cause is a ``NukeRestoreError``; its ``str()`` is a single line that starts with the
location (``path:line:col:``) when one is known, so the CLI can print it as it is.
"""
from __future__ import annotations

from typing import Optional


class NukeRestoreError(Exception):
    """Base of every error nuke_restore raises on purpose."""

    def __init__(
        self,
        message: str,
        path: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column

    @property
    def location(self) -> str:
        parts = [p for p in (self.path, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        loc = self.location
        return f"{loc}: {self.message}" if loc else self.message


class NkSyntaxError(NukeRestoreError):
    """A .nk/.gizmo file that cannot be read as a Nuke script."""


class EncryptedScriptError(NkSyntaxError):
    """An encrypted Nuke Non-Commercial (.nknc) or Indie (.nkind) script: only that edition can open it."""


class ValidationError(NukeRestoreError):
    """A script that was read but breaks a rule (raised only in strict, programmatic use)."""


class ConfigError(NukeRestoreError):
    """A job config (YAML) or template that is malformed or has a bad field."""

    def __init__(self, message: str, path=None, line=None, column=None, field: Optional[str] = None):
        if field:
            # A field named by a key from the file keeps the message on one line ("clips.a\n").
            field = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(field))
            message = f"{field}: {message}"
        super().__init__(message, path, line, column)
        self.field = field


class TemplateError(ConfigError):
    """A template that cannot be found, escapes its search path, or is malformed."""


class ImagingError(NukeRestoreError):
    """Bad image input: missing or corrupt frames, mismatched sizes, too few frames."""


class FarmError(NukeRestoreError):
    """Farm job settings that cannot work (e.g. batch size smaller than the world size)."""


class OutputExistsError(NukeRestoreError):
    """Refusing to overwrite a user's file without --force."""


class OutputError(NukeRestoreError):
    """An output that cannot be written: a folder in its place, a read-only or missing parent."""


class MissingDependencyError(NukeRestoreError, ImportError):
    """An optional dependency (an extra) is not installed."""
