"""The examples in the package docstrings of config and recipes run as written."""
from __future__ import annotations

import doctest

import nuke_restore.config
import nuke_restore.recipes


def test_docstring_examples():
    for module in (nuke_restore.config, nuke_restore.recipes):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
