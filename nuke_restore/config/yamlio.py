"""YAML loading that remembers where every key and list item came from.

``safe_load`` with two twists: mappings become ``LineDict`` and sequences ``LineList``, both carrying the
1-based line and column of each key/item, so a validation error can name ``job.yaml:14:5: shots[2].train``.
Nothing else changes: only the YAML safe subset is accepted.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from ..errors import ConfigError

Pos = Tuple[int, int]


class LineDict(dict):
    """A dict with ``pos`` (where the mapping starts) and ``key_pos[key]`` (where each key is)."""

    pos: Pos = (0, 0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_pos: Dict[Any, Pos] = {}
        self.value_pos: Dict[Any, Pos] = {}


class LineList(list):
    """A list with ``pos`` (where the sequence starts) and ``item_pos[i]``."""

    pos: Pos = (0, 0)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_pos: Dict[int, Pos] = {}


def _loader_class():
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        loader.flatten_mapping(node)
        out = LineDict()
        out.pos = (node.start_mark.line + 1, node.start_mark.column + 1)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise ConfigError("a mapping key must be a plain value", None,
                                  key_node.start_mark.line + 1,
                                  key_node.start_mark.column + 1) from None
            if key in out:
                raise ConfigError(f"duplicate key {key!r}", None, key_node.start_mark.line + 1,
                                  key_node.start_mark.column + 1)
            out[key] = loader.construct_object(value_node, deep=True)
            out.key_pos[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out.value_pos[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        return out

    def construct_sequence(loader, node, deep=False):
        out = LineList()
        out.pos = (node.start_mark.line + 1, node.start_mark.column + 1)
        for i, child in enumerate(node.value):
            out.append(loader.construct_object(child, deep=True))
            out.item_pos[i] = (child.start_mark.line + 1, child.start_mark.column + 1)
        return out

    _Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    _Loader.add_constructor("tag:yaml.org,2002:seq", construct_sequence)
    return _Loader


_LOADER = None


def load_yaml_text(text: str, path: Optional[str] = None) -> Any:
    """Parse YAML text into LineDict/LineList values; syntax errors become ConfigError with the line."""
    import yaml

    global _LOADER
    if _LOADER is None:
        _LOADER = _loader_class()
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a SafeLoader subclass
    except ConfigError as exc:
        exc.path = None if path is None else str(path)
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        raise ConfigError(f"YAML syntax error: {exc.problem or exc}", path, line, col) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", path) from None
