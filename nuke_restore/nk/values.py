"""Knob values: Python values <-> TCL words as Nuke writes them. Nothing here evaluates TCL.

>>> format_value(True), format_value(0.5), format_value(2.0), format_value("a b"), format_value([1, 0, 0.25])
('true', '0.5', '2', '"a b"', '{1 0 0.25}')
>>> format_value("x[y]"), format_value(""), format_value(Expr("parent.size*2"))
('"x\\\\[y]"', '""', '{{parent.size*2}}')
>>> parse_word('"a \\\\[b] \\\\"c\\\\""'), parse_word("{1 2}"), parse_word("bare")
('a [b] "c"', '1 2', 'bare')
"""
from __future__ import annotations

import math
import re
from typing import Any, Optional

# A bare word is safe when it has no whitespace and nothing TCL would act on.
_BARE_SAFE = re.compile(r'^[^\s"{}\[\]$\\;#]+\Z')
# '#' is fine after the first character (paths like render.####.exr are written bare by Nuke).
_BARE_SAFE_HASH = re.compile(r'^[^\s"{}\[\]$\\;#][^\s"{}\[\]$\\;]*\Z')

_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "[": "\\[",
    "{": "\\{",
    "}": "\\}",
    "$": "\\$",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
}
_UNESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_NEEDS_ESCAPE = re.compile('[' + re.escape("".join(_ESCAPES)) + ']')
_ESCAPE_TABLE = str.maketrans(_ESCAPES)


class Raw(str):
    """Raw TCL text written verbatim (a curve, a prepared list)."""


class Expr(str):
    """An expression, written ``{{expr}}`` (quoted inside when it has spaces)."""


def quote(text: str) -> str:
    """``text`` as one TCL word in Nuke's style: bare when safe, else a ``"..."`` string with escapes."""
    if text and _BARE_SAFE_HASH.match(text):
        return text
    if not _NEEDS_ESCAPE.search(text):  # most labels: nothing to escape (build speed)
        return '"' + text + '"'
    return '"' + text.translate(_ESCAPE_TABLE) + '"'


def format_number(x: float) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"cannot write {x!r} as a knob value")
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    text = repr(float(x))
    if "e" in text:
        text = f"{x:.9g}"
    return text


def format_curve(keys) -> str:
    """Keys ``[(frame, value), ...]`` as the animation curve Nuke writes: ``{curve x1 0.5 0.6 x10 2}``.

    Nuke writes ``x<frame>`` before the first key and then only where a key does not follow the
    previous one at the same interval (the first interval counts as 1): keys at 1, 2, 3 are
    ``x1 a b c``; at -10, 0, 10 ``x-10 a x0 b c``; at 38, 39 after a key at 1 ``x1 a x38 b x39 c``.
    Every keyed curve of the real Nuke-saved files in the test corpus follows this rule.
    Frames are sorted; values are formatted like any knob number.
    """
    parts = []
    prev = step = None
    for frame, value in sorted(keys):
        if prev is None or frame - prev != step:
            parts.append("x" + format_number(frame))
        step = 1 if prev is None else frame - prev
        prev = frame
        parts.append(format_number(value))
    return "{curve " + " ".join(parts) + "}"


_CURVE = re.compile(r"\{\s*curve\b([^{}]*)\}")
_CURVE_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def curve_keys(text: str) -> list:
    """The ``(frame, value)`` keys of the first ``{curve ...}`` in ``text`` (the rule of
    ``format_curve`` read back; interpolation flags and slopes are skipped). ``[]`` if none.

    >>> curve_keys("{{curve x1 0.5 0.6 x10 2}}")
    [(1.0, 0.5), (2.0, 0.6), (10.0, 2.0)]
    """
    m = _CURVE.search(text)
    if m is None:
        return []
    keys = []
    frame = step = None
    pending = None
    for tok in m.group(1).split():
        if tok[0] == "x" and _CURVE_NUMBER.match(tok[1:]):
            pending = float(tok[1:])
        elif _CURVE_NUMBER.match(tok):
            if pending is not None:
                new = pending
            elif frame is None:
                new = 0.0
            else:
                new = frame + step
            step = 1.0 if frame is None else new - frame
            frame, pending = new, None
            keys.append((frame, float(tok)))
    return keys


def format_value(value: Any) -> str:
    """Format a Python value as Nuke writes a knob value."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, Expr):
        inner = str(value)
        if any(c.isspace() for c in inner) or '"' in inner:
            inner = quote(inner)
        return "{{" + inner + "}}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, (list, tuple)):
        return "{" + " ".join(_format_list_item(v) for v in value) + "}"
    if value is None:
        return '""'
    return quote(str(value))


def _format_list_item(v: Any) -> str:
    if isinstance(v, Expr):
        return "{" + str(v) + "}"
    if isinstance(v, (list, tuple)):
        return format_value(v)
    if isinstance(v, str) and not isinstance(v, Raw):
        if v and _BARE_SAFE_HASH.match(v):
            return v
        return quote(v)
    return format_value(v)


def parse_word(raw: str) -> str:
    """The literal string a raw TCL word stands for, without substitution.

    ``"..."`` loses its quotes and backslash escapes; ``{...}`` loses its outer braces; a bare word is
    returned as is (with backslash escapes resolved).
    """
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        return _unescape(raw[1:-1])
    if len(raw) >= 2 and raw[0] == "{" and raw[-1] == "}":
        return raw[1:-1]
    if "\\" in raw:
        return _unescape(raw)
    return raw


def _unescape(text: str) -> str:
    out = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            out.append(_UNESCAPES.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_bool(raw: str) -> bool:
    return parse_word(raw).strip().lower() in ("true", "1", "yes", "on")


# ---------------------------------------------------------------------------------------------------
# User text that reaches .nk text: the one gate.
#
# Nuke evaluates TCL inside many string knobs after loading (file paths, labels, ModifyMetaData
# values, ``modelFile``, ``customOCIOConfigPath``...): ``[cmd]`` runs a command and ``$name(...)``
# substitutes a variable whose array index is itself substituted. A saved file writes such a live
# expression as ``"\[cmd]"``, so escaping a ``[`` when writing does not make it literal: it IS the
# saved form of a live expression. No quoting makes ``[`` inert in those knobs, so text from a job
# config, a template, the command line or a dialog may not carry ``[``, ``$`` or a backslash (which
# could build either) into a script at all. The kinds:
#
# * ``ident``: node/file-name parts: ``[A-Za-z_][A-Za-z0-9_]*``, matched in full, at most 128.
# * ``version``: the ``version`` line: ``15.1 v1`` (``N.N vN``), matched in full.
# * ``name``: one-line names (OCIO configs, colourspaces, enumeration values): no ``[ $ \``,
#   no control characters, at most 1,000 characters.
# * ``path``: file paths: as ``name``, at most 4,096 characters (backslashes are refused: use ``/``).
# * ``text``: free text (titles, citations, notes): as ``name`` but newlines and tabs are allowed
#   (written as ``\n``/``\t`` inside quotes, as Nuke writes them), at most 10,000 characters.
#
# Everything else (quotes, braces, ``;``, ``#``, any printable Unicode) is written quoted and
# escaped by ``quote`` and reads back as the same literal text.

TEXT_KINDS = ("ident", "version", "name", "path", "text")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VERSION_RE = re.compile(r"[0-9]{1,3}\.[0-9]{1,3} v[0-9]{1,3}")
_MAX_LEN = {"ident": 128, "version": 16, "name": 1000, "path": 4096, "text": 10000}
_LIVE = {
    "[": "'[' (Nuke runs [...] as a TCL command in this value)",
    "$": "'$' (Nuke substitutes $... as a TCL variable in this value)",
    "\\": "a backslash (a TCL escape in this value; use / in paths)",
}
# Invisible direction overrides make text read differently from what it is.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# Every character the loop in text_problem may refuse (a superset: the loop decides).
_SUSPECT_LINE = re.compile("[\\[$\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                           "\ud800-\udfff]")
_SUSPECT_TEXT = re.compile("[\\[$\\\\\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e"
                           "\u2066-\u2069\ud800-\udfff]")


class UnsafeTextError(ValueError):
    """User text that may not reach .nk text (see ``text_problem``)."""


def text_problem(value: Any, kind: str = "text") -> Optional[str]:
    """Why ``value`` may not be written into a script as ``kind`` (see above), or None when it may.

    >>> text_problem("SH010", "ident"), text_problem("SH010\\n", "ident") is not None
    (None, True)
    >>> text_problem("plates/x[python {1}]/a.####.exr", "path")
    "contains '[' (Nuke runs [...] as a TCL command in this value)"
    >>> text_problem("15.1 v1\\npython {x}", "version")
    "'15.1 v1\\\\npython {x}' is not a Nuke version like 15.1 v1"
    """
    if kind not in _MAX_LEN:
        raise ValueError(f"unknown text kind {kind!r}")
    if not isinstance(value, str):
        return f"expected text, got {type(value).__name__}"
    shown = repr(value) if len(value) <= 60 else repr(value[:57]) + "..."
    if kind == "ident" and not _IDENT_RE.fullmatch(value):
        return (f"{shown} must start with a letter or _ and contain only letters, digits "
                "and _ (it becomes part of node and file names)")
    if kind == "version" and not _VERSION_RE.fullmatch(value):
        return f"{shown} is not a Nuke version like 15.1 v1"
    if len(value) > _MAX_LEN[kind]:
        return f"is {len(value)} characters long; at most {_MAX_LEN[kind]} are allowed here"
    if kind in ("ident", "version"):
        return None
    if not (_SUSPECT_TEXT if kind == "text" else _SUSPECT_LINE).search(value):
        return None  # the common case, decided in C
    for i, ch in enumerate(value):
        if ch in _LIVE:
            return f"contains {_LIVE[ch]}"
        if ch in "\n\t" and kind == "text":
            continue
        code = ord(ch)
        if code < 32 or 0x7F <= code < 0xA0 or ch in "\u2028\u2029" or ch in _BIDI:
            what = "a line break" if ch in "\n\r\u2028\u2029" else f"control character U+{code:04X}"
            return f"contains {what} at character {i + 1}; not allowed here"
        if 0xD800 <= code <= 0xDFFF:
            return f"contains an unpaired surrogate U+{code:04X} (not valid Unicode text)"
    return None


def check_text(value: Any, kind: str = "text", where: str = "") -> str:
    """``value`` when ``text_problem`` finds nothing, else UnsafeTextError (``where: problem``)."""
    problem = text_problem(value, kind)
    if problem is not None:
        raise UnsafeTextError(f"{where}: {problem}" if where else problem)
    return value
