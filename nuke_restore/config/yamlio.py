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


def _short(text: str) -> str:
    return text if len(text) <= 100 else text[:97] + "..."


def _line_col(text: str, pos: int) -> Tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


MAX_DEPTH = 200


def _too_deep(text: str) -> Optional[int]:
    """The offset where ``[``/``{`` nesting first gets MAX_DEPTH deep (None: it never does).

    Counted over every bracket, quoted or not: a conservative, linear pre-check that stops a
    100,000-deep file before the parser spends seconds on it. No real config nests past ~6.
    """
    import re

    depth = 0
    for m in re.finditer(r"[\[\]{}]", text):
        if m.group() in "[{":
            depth += 1
            if depth >= MAX_DEPTH:
                return m.start()
        else:
            depth = max(0, depth - 1)
    return None


def _deepest(text: str) -> Tuple[int, int]:
    """Where nesting gets too deep: the place to look at."""
    at = _too_deep(text)
    return _line_col(text, at) if at is not None else (1, 1)


def _check_depth(text: str, path: Optional[str]) -> None:
    at = _too_deep(text)
    if at is not None:
        raise ConfigError(f"nested more than {MAX_DEPTH} levels deep (a hostile or broken "
                          "file?)", path, *_line_col(text, at))


def _long_number(text: str) -> Tuple[int, int]:
    import re

    m = re.search(r"[0-9_]{4000,}", text)
    return _line_col(text, m.start()) if m else (1, 1)


def yaml_available() -> bool:
    """True when PyYAML can be imported (Nuke's own Python does not ship it)."""
    try:
        import yaml  # noqa: F401
    except ImportError:
        return False
    return True


def decode_text(raw: bytes, path: Optional[str] = None) -> str:
    """UTF-8 text of a config or template file; other bytes raise ConfigError at their line/column.

    A job file saved as Latin-1/Windows-1252 (``Caf\xe9``) or a binary file fails with one line
    naming the first offending byte, not a UnicodeDecodeError traceback.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded; save "
                          "the file as UTF-8", path, line, col) from None


def load_json_text(text: str, path: Optional[str] = None) -> Any:
    """Parse JSON (a subset of YAML) into LineDict/LineList values, with the standard library only.

    Positions are those of the line each key or item starts on, found while decoding, so errors still
    name the line inside Nuke, where PyYAML is missing.
    """
    import json

    _check_depth(text, path)
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)

    def pos_of(offset: int) -> Pos:
        import bisect

        line = bisect.bisect_right(line_starts, offset) - 1
        return (line + 1, offset - line_starts[line] + 1)

    decoder = json.JSONDecoder()
    scan = decoder.scan_once

    def value_at(idx: int) -> Tuple[Any, int]:
        while idx < len(text) and text[idx] in " \t\r\n":
            idx += 1
        if idx < len(text) and text[idx] == "{":
            return mapping_at(idx)
        if idx < len(text) and text[idx] == "[":
            return sequence_at(idx)
        try:
            return scan(text, idx)
        except StopIteration:
            raise ConfigError("JSON syntax error: a value was expected", path, *pos_of(idx)) from None

    def skip(idx: int, expected: str = "") -> int:
        while idx < len(text) and text[idx] in " \t\r\n":
            idx += 1
        if expected and (idx >= len(text) or text[idx] not in expected):
            raise ConfigError(f"JSON syntax error: expected {expected!r}", path, *pos_of(idx))
        return idx

    def mapping_at(idx: int) -> Tuple[LineDict, int]:
        out = LineDict()
        out.pos = pos_of(idx)
        idx = skip(idx + 1)
        if text.startswith("}", idx):
            return out, idx + 1
        while True:
            idx = skip(idx, '"')
            key_pos = pos_of(idx)
            key, idx = scan(text, idx)
            if key in out:
                raise ConfigError(f"duplicate key {key!r}", path, *key_pos)
            idx = skip(idx, ":") + 1
            vstart = skip(idx)
            out[key], idx = value_at(vstart)
            out.key_pos[key] = key_pos
            out.value_pos[key] = pos_of(vstart)
            idx = skip(idx, ",}")
            if text[idx] == "}":
                return out, idx + 1
            idx += 1

    def sequence_at(idx: int) -> Tuple[LineList, int]:
        out = LineList()
        out.pos = pos_of(idx)
        idx = skip(idx + 1)
        if text.startswith("]", idx):
            return out, idx + 1
        while True:
            start = skip(idx)
            item, idx = value_at(start)
            out.item_pos[len(out)] = pos_of(start)
            out.append(item)
            idx = skip(idx, ",]")
            if text[idx] == "]":
                return out, idx + 1
            idx += 1

    try:
        data, end = value_at(0)
    except RecursionError:
        raise ConfigError("nested too deeply (a hostile or broken file?)", path,
                          *_deepest(text)) from None
    except ValueError as exc:  # json.JSONDecodeError from scan_once on a bad string/number
        raise ConfigError(f"JSON syntax error: {exc.args[0] if exc.args else exc}", path) from None
    if skip(end) != len(text):
        raise ConfigError("JSON syntax error: extra data after the document", path, *pos_of(skip(end)))
    return data


def load_yaml_text(text: str, path: Optional[str] = None) -> Any:
    """Parse YAML text into LineDict/LineList values; syntax errors become ConfigError with the line.

    Without PyYAML (inside Nuke), JSON text still loads through ``load_json_text``; real YAML then
    raises a ConfigError that says how to proceed.
    """
    try:
        import yaml
    except ImportError:
        if text.lstrip().startswith(("{", "[")):
            return load_json_text(text, path)
        raise ConfigError(
            "this file is YAML and PyYAML is not installed in this Python; inside Nuke save job "
            "files as JSON, or install PyYAML for Nuke (docs/install.md)", path) from None

    _check_depth(text, path)
    global _LOADER
    if _LOADER is None:
        _LOADER = _loader_class()
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise ConfigError("nested too deeply (a hostile or broken file?)", path,
                          *_deepest(text)) from None
    except ValueError as exc:
        # int() of a number with more than 4,300 digits, or a float/int PyYAML cannot convert.
        raise ConfigError(f"a value cannot be read as a number: {_short(str(exc))}", path,
                          *_long_number(text)) from None
    except ConfigError as exc:
        exc.path = None if path is None else str(path)
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        raise ConfigError(f"YAML syntax error: {exc.problem or exc}", path, line, col) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML refuses (NUL, control bytes: often a binary file): name its line/column.
        pos = exc.position if isinstance(exc.position, int) else 0
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise ConfigError(f"not a text config: character {char!r} ({exc.reason}); is this a "
                          "binary file?", path, line, col) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {' '.join(str(exc).split())}", path) from None
