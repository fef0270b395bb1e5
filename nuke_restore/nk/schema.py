"""What Nuke knows about node classes: knob names, order, types, defaults, menus and input counts.

The data is ``nk/data/schema.json``, compiled by ``scripts/compile_schema.py`` from two kinds of evidence:

* ``source == "facts"``: the Nuke 17.0v3 knob scan (``nuke-facts/knobs-17.0v3.json``): knob names,
  types, default script values, enumeration values and input counts of 405 classes.
* ``source == "corpus"``: real Nuke-saved files. Classes the scan lacks but files from two or more
  repositories use (``Root``, ``BackdropNode``, ``Gizmo``, classic ``Shuffle``...) and knobs older Nukes
  wrote that 17.0v3 no longer lists. For these only the knob *names* are known.

The scan lists knobs alphabetically, so knob order comes from the corpus: Nuke writes knobs in the
node's internal order, and ``knob_order`` reproduces the order seen in real files (class knobs, then
``name``, ``label``, ..., ``xpos``, ``ypos``); knobs never seen in a file are placed alphabetically among
their kind (class knobs before the node-common ones). Furnace's F_Align is in the scan under its OFX
class name ``OFXuk.co.thefoundry.furnace.f_align_v403``; there is no class called ``F_Align``.

Stdlib only; loading takes a few milliseconds and is cached.

    >>> s = load_schema()
    >>> s.has_class("Merge2"), s.knob("Merge2", "operation").default
    (True, 'over')
    >>> s.is_default("Merge2", "operation", "over"), s.is_default("Blur", "size", "{3 3}")
    (True, False)
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

try:  # Python 3.9+: importlib.resources.files
    from importlib.resources import files as _resource_files
except ImportError:  # pragma: no cover - Python < 3.9 is not supported, kept for clarity
    _resource_files = None  # type: ignore[assignment]

# Knob types whose value is a callback or a button: code that Nuke runs, never a setting.
PYTHON_KNOB_TYPES = ("PythonKnob", "PyScript_Knob", "PythonCustomKnob")
TCL_SCRIPT_KNOB_TYPES = ("Script_Knob", "Pulldown_Knob")
GROUP_CLASSES = ("Group", "Gizmo", "LiveGroup")

_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class KnobInfo:
    """One knob of one class. ``type`` and ``default`` are None when only the name is evidenced."""

    name: str
    type: Optional[str]
    default: Optional[str]
    enum: Optional[Tuple[str, ...]]
    source: str  # "facts" or "corpus"

    @property
    def is_python(self) -> bool:
        return self.type in PYTHON_KNOB_TYPES


@dataclass(frozen=True)
class ClassInfo:
    """One node class: where it is evidenced, its input range and whether its knobs are dynamic."""

    name: str
    source: str  # "facts" or "corpus"
    inputs: Optional[Tuple[int, int]]  # (min, max) from the scan, counting mask inputs
    dynamic: Optional[str]  # why knobs outside the schema are normal on this class, else None
    knobs: Tuple[KnobInfo, ...]

    @property
    def max_inputs(self) -> Optional[int]:
        return None if self.inputs is None else self.inputs[1]


class Schema:
    """Lookup over the compiled schema document (see module docstring)."""

    def __init__(self, doc: dict) -> None:
        self._doc = doc
        self._raw: Dict[str, dict] = doc["classes"]
        self._types: List[str] = doc["types"]
        self._enums: List[List[str]] = doc["enums"]
        self._rows: List[list] = doc.get("rows", [])
        self._cache: Dict[str, ClassInfo] = {}
        self._index: Dict[str, Dict[str, KnobInfo]] = {}
        self.provenance: dict = doc.get("provenance", {})
        self.common_knobs: Tuple[str, ...] = tuple(doc.get("common", ()))

    @property
    def nuke_version(self) -> Optional[str]:
        return self.provenance.get("facts", {}).get("nuke")

    # -- classes -----------------------------------------------------------------------------------
    def classes(self) -> List[str]:
        return sorted(self._raw)

    def has_class(self, cls: str) -> bool:
        return cls in self._raw

    def class_info(self, cls: str) -> Optional[ClassInfo]:
        info = self._cache.get(cls)
        if info is None and cls in self._raw:
            info = self._expand(cls)
        return info

    def input_range(self, cls: str) -> Optional[Tuple[int, int]]:
        """(min, max) input count from the scan, mask inputs included; None when unknown.

        ``min`` is the number of input arrows Nuke shows, not how many must be connected.
        Group-like classes report (0, 0) because their inputs are their inner Input nodes.
        """
        info = self.class_info(cls)
        return None if info is None else info.inputs

    # -- knobs -------------------------------------------------------------------------------------
    def knob(self, cls: str, name: str) -> Optional[KnobInfo]:
        if cls not in self._index:
            if self.class_info(cls) is None:
                return None
        return self._index[cls].get(name)

    def knob_order(self, cls: str) -> List[str]:
        """Every knob name of ``cls`` in the order Nuke writes them (see module docstring)."""
        info = self.class_info(cls)
        return [] if info is None else [k.name for k in info.knobs]

    def file_type_knobs(self, cls: str, file_type: str) -> Tuple[str, ...]:
        """Knobs real files write on ``cls`` (Read/Write) when ``file_type`` is that format.

        These are the format's own knobs (EXR Write: ``first_part``, ``metadata``, ``datatype``;
        JPEG Write: ``_jpeg_quality``, ``_jpeg_sub_sampling``), which the 17.0v3 scan of a fresh
        node could not list. Only knobs a real Nuke-saved file writes on such a node are known.
        """
        raw = self._raw.get(cls)
        if raw is None:
            return ()
        return tuple(raw.get("ftk", {}).get(file_type, ()))

    def enum_values(self, cls: str, knob: str) -> Optional[Tuple[str, ...]]:
        """The script values an enumeration knob accepts (menu labels stripped), or None."""
        info = self.knob(cls, knob)
        return None if info is None else info.enum

    def is_default(self, cls: str, knob: str, raw_value: str) -> bool:
        """True when ``raw_value`` (TCL as written) equals the knob's default, so Nuke would omit it.

        Conservative: an unknown knob or default, an expression, or anything not clearly equal
        gives False (the knob is kept).
        """
        info = self.knob(cls, knob)
        if info is None or info.default is None:
            return False
        if info.enum and raw_value.strip().isdigit() and int(raw_value) < len(info.enum):
            # A menu stores an index; the file may give the index instead of the item's name.
            raw_value = info.enum[int(raw_value)]
        return values_equal(raw_value, info.default, info.type)

    # -- loading -----------------------------------------------------------------------------------
    def _row(self, item) -> list:
        row = self._rows[item] if isinstance(item, int) else item
        return list(row) + [None] * (5 - len(row))

    def _expand(self, cls: str) -> ClassInfo:
        raw = self._raw[cls]
        src = raw.get("src", "facts")
        knobs = []
        for item in raw.get("knobs", ()):
            name, t, default, e, ksrc = self._row(item)
            knobs.append(KnobInfo(
                name=name,
                type=None if t is None else self._types[t],
                default=default,
                enum=None if e is None else tuple(self._enums[e]),
                source=ksrc or src,
            ))
        inputs = tuple(raw["in"]) if "in" in raw else None
        info = ClassInfo(cls, src, inputs, raw.get("dyn"), tuple(knobs))  # type: ignore[arg-type]
        self._cache[cls] = info
        self._index[cls] = {k.name: k for k in knobs}
        return info


def _data_bytes() -> bytes:
    if _resource_files is not None:
        return (_resource_files("nuke_restore.nk") / "data" / "schema.json").read_bytes()
    import pkgutil  # pragma: no cover

    data = pkgutil.get_data("nuke_restore.nk", "data/schema.json")
    assert data is not None
    return data


@functools.lru_cache(maxsize=1)
def load_schema() -> Schema:
    """The packaged schema (cached: every caller shares one instance)."""
    return Schema(json.loads(_data_bytes().decode("utf-8")))


# --------------------------------------------------------------------------------------------------
# Value comparison (no TCL evaluation)

def _strip_word(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1]).strip()
    if len(text) >= 2 and text[0] == "{" and text[-1] == "}" and _balanced(text[1:-1]):
        return text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def is_expression(raw: str) -> bool:
    """True for values Nuke computes (``{{expr}}``, curves, ``[tcl]``, ``$var``): not literal settings."""
    text = raw.strip()
    return "{{" in text or "curve" in text or "[" in text or "$" in text


def values_equal(raw: str, default: str, knob_type: Optional[str] = None) -> bool:
    """Compare a raw knob value with a default script value, tolerating Nuke's spellings.

    ``"over"`` == ``over``; ``{0 0}`` == ``0 0``; ``1.0`` == ``1``; ``{1 1 1 1}`` == ``1`` (Nuke
    collapses equal channels); for booleans ``1`` == ``true``.
    """
    if raw.strip() == default.strip():
        return True
    if is_expression(raw):
        return False
    a = _strip_word(raw).split()
    b = _strip_word(default).split()
    if a == b:
        return True
    if knob_type in ("Boolean_Knob", "Disable_Knob") and len(a) == len(b) == 1:
        x, y = a[0].lower(), b[0].lower()
        return (x in _TRUE and y in _TRUE) or (x in _FALSE and y in _FALSE)
    if a and b and all(_NUMBER.match(t) for t in a + b):
        fa, fb = [float(t) for t in a], [float(t) for t in b]
        if len(fb) == 1 and len(fa) > 1:
            return all(x == fb[0] for x in fa)
        return fa == fb
    return False
