"""Lazy imports of optional dependencies, with the install line in the error."""
from __future__ import annotations

import functools
import importlib
from types import ModuleType
from typing import Optional

from .errors import MissingDependencyError


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise MissingDependencyError naming the pip extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module} is needed for this; install it with: pip install 'nuke-restore[{extra}]'"
        ) from exc


@functools.cache
def optional(module: str) -> Optional[ModuleType]:
    """``module``, or None when it is not installed (the caller then takes a slower path)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
