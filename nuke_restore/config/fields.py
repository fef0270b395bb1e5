"""Typed reading of one YAML mapping with errors that name file, line, field and the allowed values."""
from __future__ import annotations

import math
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from ..errors import ConfigError
from ..nk.values import text_problem
from .yamlio import LineDict, LineList

_MISSING = object()
# No number in a job config is near this large; bigger ones are refused before any use.
NUMBER_LIMIT = 1e15


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Section:
    """A YAML mapping being read: knows its file, its dotted field name and where it is."""

    def __init__(self, data: Any, path: Optional[str], field: str, pos: Tuple[int, int] = (0, 0),
                 allowed: Optional[Sequence[str]] = None) -> None:
        if data is None:
            data = LineDict()
            data.pos = pos
        if not isinstance(data, dict):
            raise ConfigError(f"expected a mapping, got {_type_name(data)}", path, pos[0] or None,
                              pos[1] or None, field=field or None)
        self.data = data
        self.path = path
        self.field = field
        self.pos = getattr(data, "pos", pos)
        if allowed is not None:
            self.check_keys(allowed)

    # -- locations ---------------------------------------------------------------------------------
    def sub(self, key: str) -> str:
        return f"{self.field}.{key}" if self.field else str(key)

    def where(self, key: Any = None, value: bool = True) -> Tuple[Optional[int], Optional[int]]:
        table = getattr(self.data, "value_pos" if value else "key_pos", {})
        line, col = table.get(key, self.pos) if key is not None else self.pos
        return (line or None, col or None)

    def error(self, key: Optional[str], message: str, value: bool = True) -> ConfigError:
        line, col = self.where(key, value)
        return ConfigError(message, self.path, line, col, field=self.sub(key) if key else self.field)

    def check_keys(self, allowed: Sequence[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.error(key, f"unknown field {key!r}; allowed: {', '.join(allowed)}",
                                 value=False)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    # -- typed getters -----------------------------------------------------------------------------
    def section(self, key: str, allowed: Optional[Sequence[str]] = None) -> Section:
        line, col = self.where(key)
        return Section(self.data.get(key), self.path, self.sub(key), (line or 0, col or 0), allowed)

    def text(self, key: str, default: Any = _MISSING, *, choices: Optional[Iterable[str]] = None,
             allow_empty: bool = False, kind: str = "text") -> Any:
        """A text field. ``kind`` is the rule of ``nk.values.text_problem`` the value must pass
        (every string may end up in a script: ``text`` by default, ``ident``, ``name``, ``path``,
        ``version``); the defaults are not checked (they are ours)."""
        if not self.has(key):
            if default is _MISSING:
                raise self.error(key, "is required", value=False) if key in self.data else \
                    ConfigError("is required", self.path, self.pos[0] or None, self.pos[1] or None,
                                field=self.sub(key))
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(key, f"expected text, got {_type_name(value)}")
        value = str(value)
        if not value.strip() and not allow_empty:
            raise self.error(key, "must not be empty")
        if choices is not None:
            opts = list(choices)
            if value not in opts:
                raise self.error(key, f"{value!r} is not allowed{did_you_mean(value, opts)}; "
                                      f"allowed values: {', '.join(opts)}")
            return value
        problem = text_problem(value, kind)
        if problem is not None:
            raise self.error(key, problem)
        return value

    def integer(self, key: str, default: Any = _MISSING, *, minimum: Optional[int] = None,
                maximum: Optional[int] = None, choices: Optional[Sequence[int]] = None) -> Any:
        if not self.has(key):
            if default is _MISSING:
                raise ConfigError("is required", self.path, self.pos[0] or None, self.pos[1] or None,
                                  field=self.sub(key))
            return default
        return check_int(self.data[key], self, key, minimum=minimum, maximum=maximum,
                         choices=choices)

    def number(self, key: str, default: Any = _MISSING, *, minimum: Optional[float] = None,
               maximum: Optional[float] = None) -> Any:
        """A finite number (NaN and infinities are refused) within [minimum, maximum]; without
        bounds, within +-1e15."""
        if not self.has(key):
            if default is _MISSING:
                raise ConfigError("is required", self.path, self.pos[0] or None, self.pos[1] or None,
                                  field=self.sub(key))
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, f"expected a number, got {_type_name(value)}")
        try:
            value = float(value)
        except OverflowError:
            raise self.error(key, "is too large a number") from None
        if not math.isfinite(value):
            raise self.error(key, f"must be a finite number, got {value}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value:g}")
        if maximum is not None and value > maximum:
            raise self.error(key, f"must be at most {maximum}, got {value:g}")
        if abs(value) > NUMBER_LIMIT:
            raise self.error(key, f"must be within +-{NUMBER_LIMIT:g}, got {value:g}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        if not self.has(key):
            if default is _MISSING:
                raise ConfigError("is required", self.path, self.pos[0] or None, self.pos[1] or None,
                                  field=self.sub(key))
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {_type_name(value)} ({value!r})")
        return value

    def items(self, key: str) -> List[Tuple[Any, str, Tuple[Optional[int], Optional[int]]]]:
        """(item, field, (line, col)) for a list value (an absent key gives [])."""
        if not self.has(key):
            return []
        value = self.data[key]
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {_type_name(value)}")
        out = []
        for i, item in enumerate(value):
            pos = value.item_pos.get(i, (0, 0)) if isinstance(value, LineList) else (0, 0)
            out.append((item, f"{self.sub(key)}[{i}]", (pos[0] or None, pos[1] or None)))
        return out


def did_you_mean(value: str, options: Sequence[str]) -> str:
    """`` (did you mean 'Medium'?)`` for a near miss (case, a typo), else ``""``."""
    import difflib

    folded = [o for o in options if o.casefold() == value.casefold()]
    close = folded or difflib.get_close_matches(value, options, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_int(value: Any, sec: Section, key: str, *, minimum: Optional[int] = None,
              maximum: Optional[int] = None, choices: Optional[Sequence[int]] = None,
              field: Optional[str] = None, pos: Optional[Tuple[Optional[int], Optional[int]]] = None
              ) -> int:
    """Check that ``value`` is a whole number in range; errors point at ``key`` of ``sec``."""

    def fail(msg: str) -> ConfigError:
        if pos is not None:
            return ConfigError(msg, sec.path, pos[0], pos[1], field=field)
        return sec.error(key, msg)

    if isinstance(value, bool) or not isinstance(value, int):
        whole = isinstance(value, float) and math.isfinite(value) and value == math.floor(value)
        if whole and abs(value) <= NUMBER_LIMIT:
            value = int(value)
        elif whole:
            raise fail(f"must be within +-{NUMBER_LIMIT:g}, got {value:g}")
        else:
            raise fail(f"expected a whole number, got {_type_name(value)} ({_short(value)})")
    if abs(value) > NUMBER_LIMIT:
        # Also keeps a 1,000-digit integer out of the messages below.
        raise fail(f"must be within +-{NUMBER_LIMIT:g} (got a {len(str(abs(value)))}-digit number)")
    if choices is not None and value not in choices:
        raise fail(f"{value} is not allowed; allowed values: {', '.join(str(c) for c in choices)}")
    if minimum is not None and value < minimum:
        raise fail(f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise fail(f"must be at most {maximum}, got {value}")
    return value
