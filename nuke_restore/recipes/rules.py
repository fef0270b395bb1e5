"""Graph rules for scripts nuke_restore built, run by ``nuke-restore validate``.

A built script carries an invisible Root user knob ``nuke_restore_recipe`` whose value is
``<procedure> <kind> <unit> nuke_restore <version> [key=value ...]``; ``rules_for`` returns [] for any
other script. Each rule is ``rule(script) -> Iterable[Diagnostic]`` and works on a built Script as well
as on one parsed back from disk (clones, inputs and raw knob values are all it reads).
"""
from __future__ import annotations

import re
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Set

from ..nk.model import Graph, Node
from ..nk.validate import Diagnostic
from ..nk.values import curve_keys, parse_word

Rule = Callable[[Graph], Iterable[Diagnostic]]
MARKER_KNOB = "nuke_restore_recipe"
SHUFFLE_Y_FROM_A = ("4 rgba.red 1 0 rgba.red 0 0 rgba.green 0 1 rgba.green 0 1 "
                    "rgba.blue 0 2 rgba.blue 0 2 black -1 -1 rgba.alpha 0 3")
_ABS = re.compile(r"^(/|[A-Za-z]:|\\\\|~)")


def marker(script: Graph) -> Optional[Dict[str, str]]:
    """The recipe mark of a built script ({procedure, kind, unit, version, ...}) or None."""
    root = next((n for n in script.nodes if n.cls == "Root"), None)
    if root is None:
        return None
    raw = root.knob(MARKER_KNOB)
    if raw is None:
        return None
    words = parse_word(raw).split()
    if len(words) < 5 or words[3] != "nuke_restore":
        return None
    info = {"procedure": words[0], "kind": words[1], "unit": words[2], "version": words[4]}
    for w in words[5:]:
        if "=" in w:
            k, v = w.split("=", 1)
            info[k] = v
    return info


def rules_for(script: Graph) -> List[Rule]:
    """The rules that apply to ``script``; [] when nuke_restore did not build it."""
    info = marker(script)
    if info is None:
        return []
    common: List[Rule] = [rule_relative_paths, rule_write_settings]
    kind = info["kind"]
    if kind == "training":
        return common + [rule_clone_parity, rule_framehold_parity, rule_preview_holdout,
                         rule_copycat_wiring, rule_shuffle_mode, rule_clamps_and_alpha,
                         rule_prefilter_parity]
    if kind == "inference":
        return common + [rule_inference_chain, rule_prefilter_parity]
    if kind == "baseline":
        return common + [rule_clone_parity, rule_framehold_parity, rule_matchgrade]
    return common


def run_rules(script: Graph, rules: Optional[Iterable[Rule]] = None) -> List[Diagnostic]:
    out: List[Diagnostic] = []
    for rule in (rules_for(script) if rules is None else rules):
        out.extend(rule(script))
    return out


# -- helpers ----------------------------------------------------------------------------------------
def _diag(code: str, message: str, node: Optional[Node] = None, knob: Optional[str] = None,
          value: Optional[str] = None, script: Optional[Graph] = None) -> Diagnostic:
    return Diagnostic(code=code, severity="error", message=message,
                      path=getattr(script, "path", None),
                      line=(node.knob_line(knob) if (node is not None and knob) else
                            getattr(node, "line", None)) or None,
                      node=_name(node) if node is not None else None, knob=knob, value=value)


def _name(node: Node) -> str:
    return node.name or (node.clone_of.name if node.clone_of is not None else node.cls)


def _val(node: Node, knob: str) -> Optional[str]:
    src = node.clone_of if node.clone_of is not None else node
    raw = node.knob(knob)
    if raw is None:
        raw = src.knob(knob)
    return None if raw is None else parse_word(raw)


def _origin(node: Node) -> Node:
    return node.clone_of if node.clone_of is not None else node


def upstream(node: Optional[Node]) -> Iterator[Node]:
    """Every node above ``node`` (breadth first, each once), ``node`` included."""
    return upstream_until(node, ())


def upstream_until(node: Optional[Node], stop: Iterable[str]) -> Iterator[Node]:
    """Like ``upstream`` but does not go above nodes whose class is in ``stop``."""
    stop = set(stop)
    seen: Set[int] = set()
    todo = [node] if node is not None else []
    while todo:
        n = todo.pop(0)
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        if _origin(n).cls in stop:
            continue
        todo.extend(i for i in n.inputs if i is not None)


def _all(script: Graph) -> List[Node]:
    return list(script.walk())


def _side(node: Optional[Node]) -> Optional[str]:
    """'SRC' or 'REF': which dataset stamp the branch above ``node`` starts from."""
    for n in upstream(node):
        if n.cls == "PostageStamp":
            name = _name(n)
            if "_SRC" in name:
                return "SRC"
            if "_REF" in name:
                return "REF"
    return None


def _frames(append: Node) -> List[int]:
    out = []
    for i in append.inputs:
        if i is not None and _origin(i).cls == "FrameHold":
            try:
                out.append(int(float(_val(i, "firstFrame") or "1")))
            except ValueError:
                out.append(-1)
    return out


def _stacks(script: Graph) -> Dict[str, Dict[str, Node]]:
    """{stage prefix: {'SRC': AppendClip, 'REF': AppendClip}} for the training stacks."""
    out: Dict[str, Dict[str, Node]] = {}
    for n in _all(script):
        if n.cls != "AppendClip":
            continue
        m = re.match(r"^(S\d+_)?AppendClip_(SRC|REF)$", n.name or "")
        if m:
            out.setdefault(m.group(1) or "", {})[m.group(2)] = n
    return out


# -- rules ------------------------------------------------------------------------------------------
def rule_framehold_parity(script: Graph) -> Iterator[Diagnostic]:
    """Both dataset stacks hold the same frames, in the same order."""
    stacks = _stacks(script)
    if not stacks:
        yield _diag("NR002", "no dataset stacks (AppendClip_SRC / AppendClip_REF) found",
                    script=script)
    for prefix, sides in stacks.items():
        if set(sides) != {"SRC", "REF"}:
            yield _diag("NR002", f"stage {prefix or '1'} has only one dataset stack", script=script)
            continue
        a, b = _frames(sides["SRC"]), _frames(sides["REF"])
        if a != b:
            yield _diag("NR002", f"FrameHold indices differ: Source {a} vs Reference {b}",
                        sides["REF"], script=script)
        if not a:
            yield _diag("NR002", "the dataset stack holds no frames", sides["SRC"], script=script)


def rule_clone_parity(script: Graph) -> Iterator[Diagnostic]:
    """The Source crop is a clone of the Reference crop; Colorspace nodes are shared clones."""
    nodes = _all(script)
    crop = next((n for n in nodes if n.cls == "Crop" and n.clone_of is None
                 and n.name == "Crop_PICTURE"), None)
    if crop is None:
        yield _diag("NR001", "no Crop_PICTURE (the Reference crop)", script=script)
        return
    for n in nodes:
        if n.cls == "FrameRange" and "_SRC" in (n.name or ""):
            crops = [u for u in upstream(n) if _origin(u).cls == "Crop"]
            if not crops or _origin(crops[0]) is not crop or crops[0].clone_of is None:
                yield _diag("NR001", "the Source dataset is not cropped by a clone of "
                                     "Crop_PICTURE", n, script=script)
    for orig in [n for n in nodes if n.cls == "Crop" and n.clone_of is None
                 and (n.name or "").endswith("Crop_REGION")]:
        if len([n for n in nodes if n.clone_of is orig]) != 1:
            yield _diag("NR001", f"{_name(orig)} must be shared by the Source branch as one clone",
                        orig, script=script)
    for name in ("Colorspace_TO_YCbCr", "Colorspace_TO_LINEAR"):
        for orig in [n for n in nodes if n.cls == "Colorspace" and n.clone_of is None
                     and (n.name or "").endswith(name)]:
            clones = [n for n in nodes if n.clone_of is orig]
            if len(clones) != 1:
                yield _diag("NR001", f"{_name(orig)} must be shared by the Source branch as one "
                                     f"clone (found {len(clones)})", orig, script=script)


def rule_preview_holdout(script: Graph) -> Iterator[Diagnostic]:
    """CopyCat's Preview is a FrameHold on a frame that is not in the training set."""
    stacks = _stacks(script)
    for cc in [n for n in _all(script) if n.cls == "CopyCat"]:
        prev = cc.input(2)
        if prev is None or _origin(prev).cls != "FrameHold":
            yield _diag("NR003", "CopyCat Preview (input 2) is not a FrameHold", cc, script=script)
            continue
        prefix = re.match(r"^(S\d+_)?", cc.name).group(1) or ""
        app = stacks.get(prefix, {}).get("SRC")
        # Compare with the training frames of the same clip: the holds whose FrameRange reads the
        # image the Preview holds (several reels may share frame numbers).
        same = [h for h in (app.inputs if app is not None else [])
                if h is not None and h.input(0) is not None
                and h.input(0).input(0) is prev.input(0)]
        train = []
        for h in same:
            try:
                train.append(int(float(_val(h, "firstFrame") or "1")))
            except ValueError:
                pass
        try:
            frame = int(float(_val(prev, "firstFrame") or "1"))
        except ValueError:
            frame = None
        if frame in train:
            yield _diag("NR003", f"Preview frame {frame} is a training frame", prev, "firstFrame",
                        str(frame), script=script)


def rule_copycat_wiring(script: Graph) -> Iterator[Diagnostic]:
    """CopyCat: 0 Input from the Source via CopyBBox, 1 GroundTruth from the Target, 2 Preview."""
    ccs = [n for n in _all(script) if n.cls == "CopyCat"]
    if not ccs:
        yield _diag("NR006", "a training script without a CopyCat node", script=script)
    for cc in ccs:
        for i, label in enumerate(("Input", "GroundTruth", "Preview")):
            if cc.input(i) is None:
                yield _diag("NR006", f"CopyCat {label} (input {i}) is not connected", cc,
                            script=script)
        inp, gt = cc.input(0), cc.input(1)
        if inp is not None and _origin(inp).cls != "CopyBBox":
            yield _diag("NR006", "CopyCat Input must come through CopyBBox (bbox from the Target)",
                        cc, script=script)
        if inp is not None and _origin(inp).cls == "CopyBBox":
            if inp.input(1) is not gt:
                yield _diag("NR006", "CopyBBox A must be the Target branch that feeds GroundTruth",
                            inp, script=script)
        if inp is not None and gt is not None:
            if _side(inp.input(0) if _origin(inp).cls == "CopyBBox" else inp) != "SRC":
                yield _diag("NR006", "CopyCat Input does not come from the Source dataset", cc,
                            script=script)


def rule_shuffle_mode(script: Graph) -> Iterator[Diagnostic]:
    """Shuffle keeps Y from A and CbCr from B; chroma: A = Source, spatial: A = Reference."""
    for cc in [n for n in _all(script) if n.cls == "CopyCat"]:
        mode = "chroma" if cc.name.endswith("CHROMA") else "spatial" if cc.name.endswith(
            "SPATIAL") else None
        shuffles = [n for n in upstream(cc.input(1)) if n.cls == "Shuffle2"]
        if not shuffles:
            yield _diag("NR004", "no Shuffle2 builds the Target", cc, script=script)
            continue
        sh = shuffles[0]
        mapping = " ".join((_val(sh, "mappings") or "").split())
        if mapping != SHUFFLE_Y_FROM_A:
            yield _diag("NR004", "Shuffle mapping is not r<-A.r g<-B.g b<-B.b a<-black", sh,
                        "mappings", mapping, script=script)
        want_a = "SRC" if mode == "chroma" else "REF"
        want_b = "REF" if mode == "chroma" else "SRC"
        got_b, got_a = _side(sh.input(0)), _side(sh.input(1))
        if mode and (got_a != want_a or got_b != want_b):
            if mode == "chroma" and got_b == "REF" and got_a in ("SRC", None):
                continue  # matched-luma: A mixes both sides, its detail still comes from Source
            yield _diag("NR004", f"{mode} Shuffle needs A = {want_a}, B = {want_b}; found "
                                 f"A = {got_a}, B = {got_b}", sh, script=script)


def _branch(cc: Node, i: int) -> Optional[Node]:
    """The start of CopyCat input ``i``'s own branch (the Input side starts below CopyBBox B)."""
    n = cc.input(i)
    if i == 0 and n is not None and _origin(n).cls == "CopyBBox":
        return n.input(0)
    return n


def _has_clamp(node: Optional[Node]) -> bool:
    for n in upstream_until(node, ("PostageStamp",)):
        if n.cls == "Grade" and (_val(n, "white_clamp") == "true") and \
                (_val(n, "black_clamp") in (None, "true")):
            return True
    return False


def _has_alpha_removed(node: Optional[Node]) -> bool:
    for n in upstream_until(node, ("PostageStamp",)):
        if n.cls == "Remove" and (_val(n, "operation") in (None, "remove")) and \
                (_val(n, "channels") or "all") in ("alpha", "rgba.alpha", "all"):
            return True
    return False


def rule_clamps_and_alpha(script: Graph) -> Iterator[Diagnostic]:
    """Both branches clamp to 0-1 and lose their alpha before CopyCat."""
    for cc in [n for n in _all(script) if n.cls == "CopyCat"]:
        for i, label in ((0, "Input"), (1, "GroundTruth")):
            if not _has_clamp(_branch(cc, i)):
                yield _diag("NR005", f"the {label} branch has no black+white clamp Grade", cc,
                            script=script)
            if not _has_alpha_removed(_branch(cc, i)):
                yield _diag("NR005", f"the {label} branch keeps its alpha (no Remove alpha)", cc,
                            script=script)


def rule_prefilter_parity(script: Graph) -> Iterator[Diagnostic]:
    """The Source pre-filter (Median) recorded in the mark is present on every model's input."""
    info = marker(script) or {}
    wanted = [int(x) for x in info.get("prefilter", "").split(",") if x.strip().isdigit()]
    if info.get("kind") == "training":
        models = [n for n in _all(script) if n.cls == "CopyCat"]
        models.sort(key=lambda n: n.name)
        branches = [m.input(0) for m in models]
    else:
        models = [n for n in _all(script) if n.cls == "Inference" and n.clone_of is None]
        models.sort(key=lambda n: n.name)
        branches = [m.input(0) for m in models]
    for k, (model, branch) in enumerate(zip(models, branches)):
        size = wanted[k] if k < len(wanted) else 0
        medians = []
        for n in upstream_until(branch, ("Inference", "CopyCat")):
            if _origin(n).cls == "Median" and "PREFILTER" in _name(n):
                medians.append(n)
        sizes = sorted({(_val(m, "size") or "3").split()[0] for m in medians})
        if size and sizes != [str(size)]:
            yield _diag("NR007", f"stage {k + 1} expects a Source Median {size} pre-filter, found "
                                 f"{sizes or 'none'}", model, script=script)
        if not size and medians:
            yield _diag("NR007", f"stage {k + 1} has a Source pre-filter the training does not "
                                 "have", model, script=script)


def rule_inference_chain(script: Graph) -> Iterator[Diagnostic]:
    """Inference: a live-area Crop before the first model (black outside: ``crop`` on when it keeps
    the format, i.e. reformat off); no Grade unless opted in."""
    infs = [n for n in _all(script) if _origin(n).cls == "Inference"]
    if not infs:
        yield _diag("NR008", "an inference script without an Inference node", script=script)
    info = marker(script) or {}
    for n in infs:
        crops = [u for u in upstream(n) if _origin(u).cls == "Crop"]
        if not crops:
            yield _diag("NR008", "no live-area Crop before Inference", n, script=script)
        elif _val(crops[0], "reformat") != "true" and _val(crops[0], "crop") == "false":
            yield _diag("NR008", "the live-area Crop keeps the format but does not black out "
                                 "outside the box (crop off)", crops[0], script=script)
        if info.get("clamp") != "1":
            grades = [u for u in upstream(n) if _origin(u).cls == "Grade"]
            if grades:
                yield _diag("NR008", "a Grade before Inference (the Source gets no grade unless "
                                     "inference.clamp is on)", grades[0], script=script)
        if not _val(n, "modelFile"):
            yield _diag("NR008", "Inference has no modelFile", n, "modelFile", script=script)


def rule_matchgrade(script: Graph) -> Iterator[Diagnostic]:
    """The render MatchGrade is a clone of the fitted one; reference frames = training count."""
    mgs = [n for n in _all(script) if _origin(n).cls == "MatchGrade"]
    fits = [n for n in mgs if n.clone_of is None]
    if len(fits) != 1 or not any(n.clone_of is fits[0] for n in mgs):
        yield _diag("NR009", "expected one fitted MatchGrade and a clone of it for the render",
                    script=script)
        return
    if _side(fits[0].input(0)) != "SRC" or _side(fits[0].input(1)) != "REF":
        yield _diag("NR009", "MatchGrade needs 0 = Source dataset (graded), 1 = Target dataset",
                    fits[0], script=script)
    stacks = _stacks(script).get("", {})
    n_pairs = len(_frames(stacks["SRC"])) if "SRC" in stacks else 0
    raw = fits[0].knob("sourceRefFrames") or ""
    n_refs = len(curve_keys(raw))
    if n_refs != n_pairs:
        yield _diag("NR009", f"MatchGrade has {n_refs} reference frames for {n_pairs} pairs",
                    fits[0], "sourceRefFrames", script=script)


def rule_write_settings(script: Graph) -> Iterator[Diagnostic]:
    """Every Write: EXR, create directories, all metadata, a ModifyMetaData right before it."""
    for w in [n for n in _all(script) if _origin(n).cls == "Write"]:
        if _val(w, "file_type") != "exr":
            yield _diag("NR010", "Write must write EXR", w, "file_type", script=script)
        if _val(w, "create_directories") != "true":
            yield _diag("NR010", "Write must create directories", w, "create_directories",
                        script=script)
        src = w.input(0)
        if src is None or _origin(src).cls != "ModifyMetaData":
            yield _diag("NR011", "no ModifyMetaData directly before the Write", w, script=script)
        else:
            meta = _val(src, "metadata") or ""
            for key in ("exr/RecoveryType", "exr/ShotID", "exr/IPTCDigitalSourceType"):
                if key not in meta:
                    yield _diag("NR011", f"ModifyMetaData lacks {key}", src, "metadata",
                                script=script)


_PATH_KNOBS = ("file", "dataDirectory", "modelFile", "customOCIOConfigPath")


def rule_relative_paths(script: Graph) -> Iterator[Diagnostic]:
    """File paths in a built script are relative: no /abs, C:/, \\\\server or ~."""
    for n in _all(script):
        # One pass over the knobs (the last line of a name counts, as Node.knob reads it).
        values = {k.name: k.value for k in n.knobs if k.name in _PATH_KNOBS}
        for knob in _PATH_KNOBS:
            v = values.get(knob)
            if v is None:
                continue
            text = parse_word(v)
            if _ABS.match(text) or "\\" in text.replace("\\[", "").replace("\\]", ""):
                yield _diag("NR012", f"absolute or Windows path {text!r}", n, knob, text,
                            script=script)
