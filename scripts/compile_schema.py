#!/usr/bin/env python3
"""Compile the Nuke knob facts and the real-file corpus into ``nuke_restore/nk/data/schema.json``.

Inputs (read-only evidence, never copied into the project):

* ``../shared/nuke-facts/knobs-17.0v3.json`` - 405 node classes scanned from Nuke 17.0v3: knob names,
  knob types, default script values, enumeration values, input counts. Its knobs are listed
  alphabetically, so it says nothing about the order Nuke writes them in.
* ``../shared/nk-corpus/*.nk|*.gizmo`` - real Nuke-saved files. They supply (a) the order Nuke writes
  knobs in, (b) classes the scan lacks (``Root``, ``BackdropNode``, classic ``Shuffle``...), and (c) knobs
  older Nukes wrote that 17.0v3 no longer lists. Everything taken from the corpus is marked
  ``"source": "corpus"`` so validation can treat it as weaker evidence.

The output is deterministic (sorted keys, fixed separators, no timestamps): re-running the compiler on the
same evidence gives the same bytes, which ``tests/nk/test_schema.py`` checks.

Usage::

    python scripts/compile_schema.py [--shared ../shared] [--out nuke_restore/nk/data/schema.json]
    python scripts/compile_schema.py --check   # exit 1 when the committed file is stale
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

GENERATOR = "compile_schema 2"
PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = PROJECT.parent / "shared"
DEFAULT_OUT = PROJECT / "nuke_restore" / "nk" / "data" / "schema.json"
FACTS_NAME = "knobs-17.0v3.json"

# Top-level commands that are not node blocks.
_COMMANDS = {"set", "push", "version", "end_group", "add_layer", "define_window_layout_xml", "clone",
             "addUserKnob"}
# Knob types whose value is code or a button, never a stored setting worth a default.
_NO_DEFAULT_TYPES = {"Tab_Knob", "Text_Knob", "Script_Knob", "PyScript_Knob", "PythonKnob",
                     "Obsolete_Knob"}
# Defaults the scan recorded from its own session (the node it created was selected and placed at
# some position, named <Class>1). They are not class defaults: Nuke always writes name/xpos/ypos,
# and writes `selected` only when true.
_SESSION_KNOBS = {"name": None, "xpos": None, "ypos": None, "selected": "false"}


# --------------------------------------------------------------------------------------------------
# A minimal TCL word scanner, enough to list node classes and their knob names in order. It is
# deliberately independent of nuke_restore.nk.parser so the compiled data does not shift when the
# parser changes.

def _words(text: str, i: int, end: int) -> Iterator[Tuple[str, int, bool]]:
    """Yield (word, start, newline_before) for the TCL words in text[i:end]."""
    newline = True
    n = end
    while i < n:
        c = text[i]
        if c == "\n" or c == ";":
            newline = True
            i += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if c == "\\" and i + 1 < n and text[i + 1] == "\n":
            i += 2
            continue
        if c == "#" and newline:
            j = text.find("\n", i)
            i = n if j < 0 or j >= n else j
            continue
        start = i
        if c == "{":
            depth = 0
            while i < n:
                ch = text[i]
                if ch == "\\":
                    i += 2
                    continue
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                i += 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        else:
            bracket = 0
            while i < n:
                ch = text[i]
                if ch == "\\":
                    i += 2
                    continue
                if ch == "[":
                    bracket += 1
                elif ch == "]" and bracket:
                    bracket -= 1
                elif bracket == 0 and ch in " \t\r\n;":
                    break
                i += 1
        yield text[start:min(i, n)], start, newline
        newline = False


def _commands(text: str, i: int = 0, end: Optional[int] = None) -> Iterator[List[Tuple[str, int]]]:
    """Split text[i:end] into commands (lists of (word, start))."""
    cmd: List[Tuple[str, int]] = []
    for word, start, newline in _words(text, i, len(text) if end is None else end):
        if newline and cmd:
            yield cmd
            cmd = []
        cmd.append((word, start))
    if cmd:
        yield cmd


def _unbrace(word: str) -> str:
    if word.startswith("{") and word.endswith("}"):
        return word[1:-1]
    if word.startswith('"') and word.endswith('"') and len(word) >= 2:
        return re.sub(r"\\(.)", r"\1", word[1:-1])
    return word


def scan_nodes(text: str, file_types: Optional[Dict[int, str]] = None
               ) -> Iterator[Tuple[str, List[str], List[str], bool]]:
    """Yield (class, knob names in order, user knob names, is_clone) for every node block.

    With ``file_types`` (a dict), the ``file_type`` value of a node is stored under the number of
    nodes yielded before it (the index of the node in this file's sequence).
    """
    clone_class: Dict[str, str] = {}
    last_class = ""
    count = 0
    for cmd in _commands(text):
        head = cmd[0][0]
        if head == "set" and len(cmd) >= 3 and last_class:
            clone_class[cmd[1][0]] = last_class
            continue
        is_clone = head == "clone"
        if is_clone and len(cmd) == 4:
            # `clone node1a2b|Camera2|13140 Camera2 {...}` (seen in a Nuke 10 file)
            cls = cmd[2][0]
            body_word, body_start = cmd[3]
        elif is_clone and len(cmd) == 3:
            cls = clone_class.get(cmd[1][0].lstrip("$"), "")
            body_word, body_start = cmd[2]
        elif head not in _COMMANDS and len(cmd) == 2 and cmd[1][0].startswith("{"):
            cls = head
            body_word, body_start = cmd[1]
        else:
            continue
        if not body_word.endswith("}"):
            continue  # truncated block: nothing reliable to learn from it
        knobs: List[str] = []
        user: List[str] = []
        for kcmd in _commands(text, body_start + 1, body_start + len(body_word) - 1):
            name = _unbrace(kcmd[0][0])
            if name == "file_type" and len(kcmd) >= 2 and file_types is not None:
                file_types[count] = _unbrace(kcmd[1][0]).strip()
            if name == "addUserKnob" and len(kcmd) >= 2:
                parts = _unbrace(kcmd[1][0]).split()
                if len(parts) >= 2:
                    user.append(_unbrace(parts[1]))
                continue
            knobs.append(name)
        if cls:
            last_class = cls
            count += 1
            yield cls, knobs, user, is_clone


# --------------------------------------------------------------------------------------------------
# Evidence gathering

def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # One corpus file has GBK bytes in a quoted value.
        return data.decode("latin-1")


def corpus_files(shared: Path) -> List[Path]:
    folder = shared / "nk-corpus"
    return sorted(p for p in folder.iterdir() if p.suffix in (".nk", ".gizmo"))


class CorpusEvidence:
    """Knob sequences per class, pairwise order counts, and where each class/knob was seen."""

    def __init__(self) -> None:
        self.sequences: Dict[str, List[List[str]]] = defaultdict(list)
        self.class_files: Dict[str, set] = defaultdict(set)
        self.knob_files: Dict[Tuple[str, str], set] = defaultdict(set)
        self.max_inputs: Dict[str, int] = defaultdict(int)
        # (Read/Write class, file_type value) -> knob -> files that write it on such a node
        self.file_type_knobs: Dict[Tuple[str, str], Dict[str, set]] = defaultdict(
            lambda: defaultdict(set))

    def add_file(self, name: str, text: str) -> None:
        file_types: Dict[int, str] = {}
        for i, (cls, knobs, user, _is_clone) in enumerate(scan_nodes(text, file_types)):
            self.class_files[cls].add(name)
            own = set(user)
            seq = [k for k in knobs if k != "inputs" and k not in own]
            self.sequences[cls].append(seq)
            for k in seq:
                self.knob_files[(cls, k)].add(name)
            if i in file_types and cls in _DYNAMIC and _DYNAMIC[cls] != _KERNEL:
                for k in seq:
                    self.file_type_knobs[(cls, file_types[i])][k].add(name)

    def class_repos(self, cls: str) -> set:
        # Corpus files are named <owner>__<repo>__<path>.
        return {"__".join(f.split("__")[:2]) for f in self.class_files[cls]}

    @staticmethod
    def pair_counts(seqs: List[List[str]]) -> Dict[Tuple[str, str], int]:
        counts: Dict[Tuple[str, str], int] = defaultdict(int)
        for seq in seqs:
            seen: List[str] = []
            for k in seq:
                for earlier in seen:
                    if earlier != k:
                        counts[(earlier, k)] += 1
                if k not in seen:
                    seen.append(k)
        return counts


def _follows(seqs: List[List[str]]) -> Dict[Tuple[str, str], int]:
    """How often knob b is written straight after knob a (the corpus's bigrams)."""
    counts: Dict[Tuple[str, str], int] = defaultdict(int)
    for seq in seqs:
        for a, b in zip(seq, seq[1:]):
            counts[(a, b)] += 1
    return counts


_DIGITS = re.compile(r"\d+")


def _siblings(names: List[str], local: Dict[Tuple[str, str], int]) -> Dict[Tuple[str, str], int]:
    """Order evidence for knobs real files never wrote, by analogy with a numbered sibling.

    ``in2`` of Shuffle2 is in no corpus file, but ``in1`` is, between ``fromInput1`` and
    ``fromInput2``/``mappings``: replacing the number gives ``fromInput2`` before ``in2`` and
    ``in2`` before ``mappings`` (numbers in the other knob's name shift by the same amount, so
    ``in1`` before ``fromInput2`` says nothing about ``fromInput3``, which does not exist). An edge
    is kept only when the renamed knob exists.
    """
    present = set(names)
    seen = {k for pair in local for k in pair}
    extra: Dict[Tuple[str, str], int] = defaultdict(int)
    for k in names:
        m = list(_DIGITS.finditer(k))
        if k in seen or len(m) != 1:
            continue
        digit = m[0].group()
        for (a, b), n in local.items():
            for known, other, first in ((a, b, True), (b, a, False)):
                km = list(_DIGITS.finditer(known))
                if len(km) != 1 or known[:km[0].start()] != k[:m[0].start()] or \
                        known[km[0].end():] != k[m[0].end():]:
                    continue
                shift = int(digit) - int(km[0].group())
                om = list(_DIGITS.finditer(other))
                renamed = other
                if len(om) == 1:  # fromInput1 -> fromInput2 for in1 -> in2, fromInput2 -> 3
                    renamed = other[:om[0].start()] + str(int(om[0].group()) + shift) + \
                        other[om[0].end():]
                if renamed not in present or renamed == k:
                    continue
                extra[(k, renamed) if first else (renamed, k)] += n
    return extra


def _order_knobs(names: List[str], local: Dict[Tuple[str, str], int],
                 world: Dict[Tuple[str, str], int], common: set,
                 follows: Optional[Dict[Tuple[str, str], int]] = None) -> List[str]:
    """Order knob names the way Nuke writes them, as far as the corpus shows.

    Evidence becomes "a before b" edges, strongest first, skipping any edge that would contradict
    the ones already taken (older and newer Nukes disagree now and then): first this class's corpus
    nodes, then knobs never written in a file by analogy with a numbered sibling (``in2`` where
    ``in1`` stands), then all corpus nodes for pairs of node-common knobs (name, label, xpos...).
    The edges are then sorted topologically. Where evidence says nothing about two knobs, class
    knobs come before the node-common ones; then the one real files write straight after the knob
    just placed (Copy: ``from1`` after ``to0``, as files write it, rather than ``bbox``); otherwise
    alphabetically (the scan has no order).
    """
    present = set(names)
    succ: Dict[str, set] = {k: set() for k in names}
    follows = follows or {}

    def reaches(a: str, b: str) -> bool:
        stack, seen = [a], {a}
        while stack:
            for nxt in succ[stack.pop()]:
                if nxt == b:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def add_edges(counts: Dict[Tuple[str, str], int], keep) -> None:
        edges = []
        for (a, b), n in counts.items():
            if a in present and b in present and keep(a, b) and n > counts.get((b, a), 0):
                edges.append((-(n - counts.get((b, a), 0)), -n, a, b))
        for _, _, a, b in sorted(edges):
            if b not in succ[a] and not reaches(b, a):
                succ[a].add(b)

    add_edges(local, lambda a, b: True)
    add_edges(_siblings(names, local), lambda a, b: True)
    add_edges(world, lambda a, b: a in common and b in common)

    indegree = {k: 0 for k in names}
    for a in names:
        for b in succ[a]:
            indegree[b] += 1
    ready = {k for k in names if indegree[k] == 0}
    order: List[str] = []
    last = None
    while ready:
        k = min(ready, key=lambda c: (c in common, -follows.get((last, c), 0), c))
        ready.discard(k)
        order.append(k)
        last = k
        for b in succ[k]:
            indegree[b] -= 1
            if indegree[b] == 0:
                ready.add(b)
    return order


# --------------------------------------------------------------------------------------------------
# Compilation

# Classes whose knob set depends on state the scan could not see: Read/Write grow file-format knobs
# for the chosen file_type (corpus: `_jpeg_quality`, `datatype`, `mov32_codec`...), BlinkScript grows
# one knob per kernel parameter (corpus: `VoroNoise_Frequency`...). Unknown knobs on them are warnings.
_KERNEL = "kernel parameters become knobs"
_DYNAMIC = {
    "Read": "file-format knobs depend on file_type",
    "Write": "file-format knobs depend on file_type",
    "DeepRead": "file-format knobs depend on file_type",
    "DeepWrite": "file-format knobs depend on file_type",
    "ReadGeo2": "file-format knobs depend on file_type",
    "WriteGeo": "file-format knobs depend on file_type",
    "BlinkScript": _KERNEL,
    "ParticleBlinkScript": _KERNEL,
}
_MAX_DEFAULT = 200  # longer defaults (tables, preset lists) are dropped: is_default() says "unknown"


def _enum_values(allowed: List[str]) -> List[str]:
    # A menu item is "<script value>\t<label>"; only the script value is written to files.
    return [a.split("\t", 1)[0] for a in allowed]


def compile_schema(shared: Path) -> Tuple[dict, dict]:
    """Return (schema document, report of what came from where)."""
    facts_path = shared / "nuke-facts" / FACTS_NAME
    facts_bytes = facts_path.read_bytes()
    facts = json.loads(facts_bytes.decode("utf-8"))
    fclasses: Dict[str, dict] = facts["classes"]

    evidence = CorpusEvidence()
    corpus_digest = hashlib.sha256()
    files = corpus_files(shared)
    for p in files:
        data = p.read_bytes()
        corpus_digest.update(p.name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        evidence.add_file(p.name, _decode(data))

    # Node-common knobs (name, label, xpos, disable, postage_stamp...): on at least 90% of classes.
    knob_classes: Dict[str, int] = defaultdict(int)
    for v in fclasses.values():
        for k in v["knobs"]:
            knob_classes[k] += 1
    common = {k for k, n in knob_classes.items() if n >= 0.9 * len(fclasses)}
    world = evidence.pair_counts([s for seqs in evidence.sequences.values() for s in seqs])

    types: List[str] = sorted({kv["type"] for v in fclasses.values() for kv in v["knobs"].values()})
    type_index = {t: i for i, t in enumerate(types)}
    enums: List[List[str]] = []
    enum_index: Dict[Tuple[str, ...], int] = {}
    classes: Dict[str, dict] = {}
    report = {"corpus_classes": {}, "corpus_knobs": {}, "facts_classes": len(fclasses)}

    # A class the scan lacks is taken from the corpus only when files from two or more independent
    # repositories use it (Root, BackdropNode, Gizmo, classic Shuffle...): one repository's class may
    # be its own plugin or gizmo (P2STMap, NST_X_Aton_Volumetrics).
    corpus_only = {c for c in evidence.class_files
                   if c not in fclasses and len(evidence.class_repos(c)) >= 2}
    for cls in sorted(set(fclasses) | corpus_only):
        seqs = evidence.sequences.get(cls, [])
        local = evidence.pair_counts(seqs)
        seen = sorted({k for s in seqs for k in s})
        if cls in fclasses:
            fk = fclasses[cls]["knobs"]
            extra = [] if _DYNAMIC.get(cls) == _KERNEL else [k for k in seen if k not in fk]
            names = sorted(fk) + extra
            entry: dict = {"src": "facts",
                           "in": [fclasses[cls]["inputs"]["min"], fclasses[cls]["inputs"]["max"]]}
            if cls in _DYNAMIC:
                entry["dyn"] = _DYNAMIC[cls]
            if extra:
                report["corpus_knobs"][cls] = extra
        else:
            fk = {}
            extra = []
            names = seen
            entry = {"src": "corpus", "repos": len(evidence.class_repos(cls))}
            report["corpus_classes"][cls] = len(evidence.class_repos(cls))
        knobs = []
        for k in _order_knobs(names, local, world, common, _follows(seqs)):
            info = fk.get(k)
            if info is None:
                knobs.append([k, None, None, None, "corpus"])
                continue
            default = info.get("default")
            if k in _SESSION_KNOBS:
                default = _SESSION_KNOBS[k]
            elif info["type"] in _NO_DEFAULT_TYPES or (default is not None and
                                                        len(default) > _MAX_DEFAULT):
                default = None
            eidx = None
            if "allowed" in info:
                values = tuple(_enum_values(info["allowed"]))
                if values not in enum_index:
                    enum_index[values] = len(enums)
                    enums.append(list(values))
                eidx = enum_index[values]
            row = [k, type_index[info["type"]], default, eidx]
            while row and row[-1] is None:
                row.pop()
            knobs.append(row)
        entry["knobs"] = knobs
        # File-type knobs: knobs the scan lacks that real files write on this class when
        # `file_type` names the format (EXR Write: first_part, metadata, datatype...).
        ftk = {ft: sorted(k for k in per if k in extra)
               for (c, ft), per in evidence.file_type_knobs.items() if c == cls and ft}
        ftk = {ft: ks for ft, ks in sorted(ftk.items()) if ks}
        if ftk:
            entry["ftk"] = ftk
        classes[cls] = entry

    shared_rows = _share_rows(classes)

    doc = {
        "format": 1,
        "provenance": {
            "generator": GENERATOR,
            "facts": {"file": FACTS_NAME, "sha256": hashlib.sha256(facts_bytes).hexdigest(),
                      "nuke": facts.get("nuke")},
            "corpus": {"files": len(files), "sha256": corpus_digest.hexdigest()},
        },
        "common": sorted(common),
        "types": types,
        "enums": enums,
        "rows": shared_rows,
        "classes": classes,
    }
    return doc, report


def _share_rows(classes: Dict[str, dict], min_uses: int = 3) -> List[list]:
    """Replace knob rows used by several classes (name, label, xpos...) with an index into one table.

    This keeps the package data small; ``schema.py`` expands the indices back when it loads.
    """
    def key(row: list) -> str:
        return json.dumps(row, separators=(",", ":"), ensure_ascii=False)

    uses: Dict[str, int] = defaultdict(int)
    for entry in classes.values():
        for row in entry["knobs"]:
            uses[key(row)] += 1
    shared = sorted((k for k, n in uses.items() if n >= min_uses), key=lambda k: (-uses[k], k))
    index = {k: i for i, k in enumerate(shared)}
    for entry in classes.values():
        entry["knobs"] = [index.get(key(row), row) for row in entry["knobs"]]
    return [json.loads(k) for k in shared]


def dump(doc: dict) -> bytes:
    """Serialise deterministically: one class per line so diffs stay readable."""
    head = {k: v for k, v in doc.items() if k not in ("classes", "enums", "rows")}
    out = ["{"]
    for k in sorted(head):
        out.append(f"{json.dumps(k)}:{json.dumps(head[k], sort_keys=True, separators=(',', ':'), ensure_ascii=False)},")
    out.append('"enums":[')
    out.append(",\n".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in doc["enums"]))
    out.append('],\n"rows":[')
    out.append(",\n".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in doc["rows"]))
    out.append('],\n"classes":{')
    rows = [f"{json.dumps(c, ensure_ascii=False)}:"
            f"{json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)}"
            for c, v in sorted(doc["classes"].items())]
    out.append(",\n".join(rows))
    out.append("}}")
    return ("\n".join(out) + "\n").encode("utf-8")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared evidence folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write schema.json")
    ap.add_argument("--check", action="store_true", help="only compare with --out; exit 1 if stale")
    ap.add_argument("--report", action="store_true", help="print what came from the corpus")
    args = ap.parse_args(argv)
    if not (args.shared / "nuke-facts" / FACTS_NAME).is_file():
        print(f"compile_schema: {args.shared}/nuke-facts/{FACTS_NAME} not found", file=sys.stderr)
        return 2
    doc, report = compile_schema(args.shared)
    data = dump(doc)
    if args.report:
        print(json.dumps(report, indent=1, sort_keys=True))
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == data
        print(f"{args.out}: {'up to date' if same else 'STALE'}")
        return 0 if same else 1
    tmp = args.out.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(args.out)
    print(f"wrote {args.out} ({len(data)} bytes, {len(doc['classes'])} classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
