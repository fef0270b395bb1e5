"""The RS_ gizmos: small Nuke tools for the restoration workflow, built with the nk model.

Each builder returns a ``Script`` of kind 'gizmo' (a ``version`` line, one ``Gizmo`` node whose body
holds ``Input``/``Output`` nodes and the inner graph). ``scripts/build_gizmos.py`` writes them to
``gizmos/RS_<name>.gizmo``; a test checks that rebuilding reproduces the committed files byte for byte.

Evidence rules (see ../shared/README.md): every class, knob and enumeration value used here is in the
Nuke 17.0v3 knob scan (``nuke-facts/knobs-17.0v3.json``) or in a real Nuke-saved corpus file:

- F_Align is the OFX class ``OFXuk.co.thefoundry.furnace.f_align_v403`` (in the scan, 2 inputs).
  Only its scanned knobs are written (``scale``, ``rotate``, ``translate``, ``perspective``, ``range``,
  ``accuracy``, ``filtering``, ``renderOn``, ``regionBL``/``regionTR``). Which of its two inputs is the
  clip that moves is NOT evidenced: we assume input 0 = the clip to align (our Reference) and
  input 1 = the clip to align to (our Source), as Furnace's "Src"/"Ref" order suggests. Check on a real
  NukeX and swap the two ``Input`` wires if the solve moves the wrong clip.
- MatchGrade input order (0 = Source to be graded, 1 = Target) is inferred from the two MatchGrade nodes
  in ``WuLiFang/Nuke:plugins/third_party/Obsolete/Spill_Tool.gizmo``, not from documentation.
- The old ``Shuffle`` class is not in the Nuke 17 scan, so channel routing uses ``Copy`` and
  ``Expression``, whose knobs (``from0``/``to0``, ``expr0``) are in both the scan and the corpus.

The gizmos carry no Python callbacks: they behave the same in the GUI, ``nuke -t`` and on a farm.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..nk.model import Graph, Node, Script
from ..nk.values import Expr, Raw, quote
from ..nk.writer import write_script
from .knobdefs import on_save

#: The ``version`` line of every generated gizmo file (the oldest Nuke we support, see docs/install.md).
GIZMO_NUKE_VERSION = "14.0 v1"

F_ALIGN_CLASS = "OFXuk.co.thefoundry.furnace.f_align_v403"

# Tile colours (0xRRGGBBAA) so the RS_ tools are easy to spot in a node graph.
_TILE_ALIGN = 0x5B8FD9FF
_TILE_COLOUR = 0xD98C3FFF
_TILE_UTILITY = 0x7F9F7FFF


@dataclass(frozen=True)
class GizmoSpec:
    """One RS_ gizmo: its file stem, the toolbar label, a one-line description and its builder."""

    name: str
    label: str
    summary: str
    build: Callable[[], Script]

    @property
    def filename(self) -> str:
        return f"{self.name}.gizmo"


# -- small helpers -----------------------------------------------------------------------------------


def user_knob(
    kind: int,
    name: str,
    label: Optional[str] = None,
    tooltip: Optional[str] = None,
    *,
    link: Optional[str] = None,
    menu: Optional[Sequence[str]] = None,
    slider: Optional[Tuple[float, float]] = None,
    flags: Sequence[str] = (),
) -> str:
    """The inside of ``addUserKnob {...}`` in the option order Nuke writes (l, t, T, R, M, flags)."""
    parts: List[str] = [str(kind), quote(name) if name else '""']
    if label is not None:
        parts += ["l", quote(label) if label else '""']
    if tooltip:
        parts += ["t", quote(tooltip)]
    if link:
        parts += ["T", link]
    if slider is not None:
        parts += ["R", _num(slider[0]), _num(slider[1])]
    if menu is not None:
        parts += ["M", "{" + " ".join(quote(m) for m in menu) + "}"]
    parts += list(flags)
    return " ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _new_gizmo(help_text: str, tile_color: int) -> Tuple[Script, Node]:
    script = Script.new(GIZMO_NUKE_VERSION, kind="gizmo")
    gizmo = script.add("Gizmo", [("help", help_text), ("tile_color", Raw(f"0x{tile_color:08x}"))])
    # Real .gizmo files write no `inputs` line on the Gizmo header (or `inputs N` for N Input
    # nodes), never `inputs 0`: ask the writer for the no-line form (its "implicit empty" hint).
    gizmo.extra["implicit_empty"] = True
    return script, gizmo


def _input(body: Graph, name: str, number: int, x: int, y: int) -> Node:
    knobs: List[Tuple[str, object]] = [("inputs", 0), ("name", name)]
    if number:
        knobs.append(("number", number))
    knobs += [("xpos", x), ("ypos", y)]
    return body.add("Input", knobs)


def _node(body: Graph, cls: str, name: str, knobs: Sequence[Tuple[str, object]],
          inputs: Sequence[Optional[Node]], x: int, y: int) -> Node:
    given = list(knobs)
    extra = on_save(cls, {k: str(v) for k, v in given})
    node = body.add(cls, given + [(k, Raw(v)) for k, v in extra]
                    + [("name", name), ("xpos", x), ("ypos", y)], inputs=inputs)
    return node


def _output(body: Graph, source: Node, x: int, y: int) -> Node:
    return body.add("Output", [("name", "Output1"), ("xpos", x), ("ypos", y)], inputs=[source])


# -- RS_Align ----------------------------------------------------------------------------------------


def build_align() -> Script:
    """RS_Align: register the Reference to the Source .

    Inputs: ``Source`` (0, never moved) and ``Reference`` (1, the clip that is aligned).
    Auto path F_Align (scale/rotate/translate/perspective on, current frame, accuracy 1, filtering
    High, central analysis region) and a keyable manual Transform meet in a Dissolve
    (0 = auto, 1 = manual, keyable per frame). A Merge (difference) against the Source is the QC tap.
    A final Crop (reformat on, off while solving) sits on the aligned Reference; the ``Source (same
    crop)`` output applies the very same box to the Source through an expression link.
    """
    script, gizmo = _new_gizmo(
        "RS_Align: registers the Reference to the Source (the Source never moves).\n"
        "Auto path: F_Align (one global solve, do not keep tweaking). Manual path: keyable Transform.\n"
        "Pick per frame with 'auto / manual'. Judge with the 'difference' view: geometry and edges\n"
        "should be near black. Crop last; the same box is applied to 'Source (same crop)'.",
        _TILE_ALIGN,
    )
    gizmo.add_user_knob(user_knob(20, "RS_Align", "RS Align"))
    gizmo.add_user_knob(user_knob(
        4, "view", "view",
        "What the gizmo outputs: the aligned (and cropped) Reference, the Source through the same "
        "crop, or the difference of aligned Reference and Source for judging the alignment.",
        menu=["aligned reference", "Source (same crop)", "difference"],
    ))
    gizmo.add_user_knob(user_knob(26, "", "auto (F_Align)"))
    gizmo.add_user_knob(user_knob(
        41, "analyse", "Analyse", "Run F_Align's analysis on the current settings.",
        link="F_Align_auto.analyse",
    ))
    gizmo.add_user_knob(user_knob(
        41, "range", "analysis range", "F_Align analysis range (the workflow uses Current Frame).",
        link="F_Align_auto.range",
    ))
    for knob, label in (("scale", "scale"), ("rotate", "rotate"), ("translate", "translate"),
                        ("perspective", "perspective")):
        gizmo.add_user_knob(user_knob(
            41, knob, label, f"Let F_Align solve {label}.", link=f"F_Align_auto.{knob}",
        ))
    gizmo.add_user_knob(user_knob(26, "", "manual (Transform)"))
    for knob, label in (("translate_manual", "translate"), ("rotate_manual", "rotate"),
                        ("scale_manual", "scale"), ("center_manual", "center")):
        inner = knob.replace("_manual", "")
        gizmo.add_user_knob(user_knob(
            41, knob, label, f"Manual alignment {label}; keyframe it where the auto solve fails.",
            link=f"Transform_manual.{inner}",
        ))
    gizmo.add_user_knob(user_knob(26, "", "select"))
    gizmo.add_user_knob(user_knob(
        41, "which", "auto / manual",
        "0 = F_Align result, 1 = manual Transform. Keyframe it per frame after inspection.",
        link="Dissolve_select.which",
    ))
    gizmo.add_user_knob(user_knob(26, "", "crop (last)"))
    gizmo.add_user_knob(user_knob(
        6, "apply_crop", "apply crop",
        "Leave off while solving; then crop away overscan, borders and overlays.",
        flags=["+STARTLINE"],
    ))
    gizmo.add_user_knob(user_knob(
        41, "box", "crop box",
        "Crop box (keyable, e.g. for subtitles that come and go). Also applied to the Source view.",
        link="Crop_reference.box",
    ))

    body = gizmo.body
    src = _input(body, "Source", 0, 0, -400)
    ref = _input(body, "Reference", 1, 300, -400)
    f_align = _node(body, F_ALIGN_CLASS, "F_Align_auto", [
        ("scale", True),
        ("perspective", True),
        ("range", "Current Frame"),
        ("accuracy", 1),
        ("filtering", "High"),
        ("regionBL", Raw("{{width*0.2} {height*0.2}}")),
        ("regionTR", Raw("{{width*0.8} {height*0.8}}")),
    ], [ref, src], 300, -300)
    manual = _node(body, "Transform", "Transform_manual", [], [ref], 450, -300)
    dissolve = _node(body, "Dissolve", "Dissolve_select", [], [f_align, manual], 300, -200)
    crop = _node(body, "Crop", "Crop_reference", [
        ("box", Raw("{0 0 {width} {height}}")),
        ("reformat", True),
        ("disable", Expr("!parent.apply_crop")),
    ], [dissolve], 300, -100)
    source_crop = _node(body, "Crop", "Crop_source_linked", [
        ("box", Raw("{{Crop_reference.box.x} {Crop_reference.box.y} {Crop_reference.box.r} "
                    "{Crop_reference.box.t}}")),
        ("reformat", True),
        ("disable", Expr("!parent.apply_crop")),
    ], [src], 0, -100)
    difference = _node(body, "Merge2", "Merge_difference", [("operation", "difference")],
                       [src, dissolve], 150, -150)
    switch = _node(body, "Switch", "Switch_view", [("which", Expr("parent.view"))],
                   [crop, source_crop, difference], 300, 0)
    _output(body, switch, 300, 100)
    return script


# -- RS_YCbCrShuffle ---------------------------------------------------------------------------------


def build_ycbcr_shuffle() -> Script:
    """RS_YCbCrShuffle: luma (Y) from one input and chroma (CbCr) from the other.

    Inputs ``A`` (0) and ``B`` (1). With ``chroma from`` = B (default) the result is A's luma with B's
    chroma (the chroma-recovery Target: Source Y + Reference CbCr); with A it is the other way round
    (the spatial Target). Both sides go through the same Nuke ``Colorspace`` RGB→YCbCr (D65, sRGB
    primaries) and back, so the untouched side makes an identical round trip.
    """
    script, gizmo = _new_gizmo(
        "RS_YCbCrShuffle: luma from one input, chroma from the other, through Nuke's Colorspace\n"
        "node (Linear -> YCbCr, D65, sRGB primaries) and back. 'chroma from' B = A's Y + B's CbCr.",
        _TILE_COLOUR,
    )
    gizmo.add_user_knob(user_knob(20, "RS_YCbCrShuffle", "RS YCbCr Shuffle"))
    gizmo.add_user_knob(user_knob(
        4, "chroma_from", "chroma from",
        "Which input gives the chroma (Cb, Cr). The other input gives the luma (Y).",
        menu=["B", "A"],
    ))
    gizmo.add_user_knob(user_knob(
        6, "remove_alpha", "remove alpha",
        "Remove the alpha channel (CopyCat trains more reliably on RGB without alpha).",
        flags=["+STARTLINE"],
    ), value=True)

    body = gizmo.body
    in_a = _input(body, "A", 0, 0, -400)
    in_b = _input(body, "B", 1, 300, -400)
    # which = 0 (chroma from B): luma side = A, chroma side = B; which = 1 swaps them.
    luma_side = _node(body, "Switch", "Switch_luma_side", [("which", Expr("parent.chroma_from"))],
                      [in_a, in_b], 0, -300)
    chroma_side = _node(body, "Switch", "Switch_chroma_side",
                        [("which", Expr("parent.chroma_from"))], [in_b, in_a], 300, -300)
    luma_ycc = _node(body, "Colorspace", "Colorspace_luma_to_YCbCr",
                     [("colorspace_out", "YCbCr")], [luma_side], 0, -200)
    chroma_ycc = _node(body, "Colorspace", "Colorspace_chroma_to_YCbCr",
                       [("colorspace_out", "YCbCr")], [chroma_side], 300, -200)
    copy = _node(body, "Copy", "Copy_CbCr", [
        ("from0", "rgba.green"), ("to0", "rgba.green"),
        ("from1", "rgba.blue"), ("to1", "rgba.blue"),
        ("bbox", "B"),
    ], [luma_ycc, chroma_ycc], 0, -100)
    back = _node(body, "Colorspace", "Colorspace_YCbCr_to_linear", [("colorspace_in", "YCbCr")],
                 [copy], 0, 0)
    _remove_alpha_output(body, back, 100)
    return script


def _remove_alpha_output(body, src: Node, y: int) -> None:
    """The optional alpha removal (knob ``remove_alpha``) and the Output below it."""
    remove = _node(body, "Remove", "Remove_alpha", [
        ("channels", "alpha"), ("disable", Expr("!parent.remove_alpha")),
    ], [src], 0, y)
    _output(body, remove, 0, y + 100)


# -- RS_MatchGradeBaseline ---------------------------------------------------------------------------


def build_matchgrade_baseline() -> Script:
    """RS_MatchGradeBaseline: the MatchGrade 3D-LUT baseline.

    Inputs ``Source`` (0) and ``Target`` (1): both go through ``Log2Lin`` (lin2log) into ``MatchGrade``
    (Match Graded Source, Analyze Reference Frames, 3D LUT, Pre-LUT Logarithmic, LUT resolution 64),
    then ``Log2Lin`` (log2lin). Set the reference frames to the training indices and press Analyse.
    """
    script, gizmo = _new_gizmo(
        "RS_MatchGradeBaseline: lin2log -> MatchGrade (3D LUT, Pre-LUT Logarithmic, res 64) -> log2lin.\n"
        "Shows what a LUT/grade can recover from the same pairs the network trains on.\n"
        "Set the reference frames to the training frames, then press 'Analyze Reference Frames'.",
        _TILE_COLOUR,
    )
    gizmo.add_user_knob(user_knob(20, "RS_MatchGradeBaseline", "RS MatchGrade Baseline"))
    links = [
        ("matchGradeTask", "task",
         "Match Graded Source (default) or Match Different Clip (fewer artefacts, less accurate)."),
        ("analysisType", "analysis", "Analyze Reference Frames for the baseline."),
        ("sourceRefFrames", "source ref frames", "The training frame indices (Source side)."),
        ("targetRefFrames", "target ref frames", "The same indices on the Target side."),
        ("analyzeRefFrames", "Analyze Reference Frames", "Fit the LUT on the reference frames."),
        ("transform", "transform", "3D LUT (the workflow's choice) or CDL."),
        ("prelut", "pre-LUT", "Logarithmic, as in the workflow."),
        ("lutres", "LUT resolution", "64 in the workflow."),
        ("output", "output", "Matched, Source or Target."),
    ]
    for knob, label, tip in links:
        gizmo.add_user_knob(user_knob(41, knob, label, tip, link=f"MatchGrade_baseline.{knob}"))

    body = gizmo.body
    src = _input(body, "Source", 0, 0, -300)
    tgt = _input(body, "Target", 1, 300, -300)
    src_log = _node(body, "Log2Lin", "Log2Lin_source_lin2log", [("operation", "lin2log")], [src],
                    0, -200)
    tgt_log = _node(body, "Log2Lin", "Log2Lin_target_lin2log", [("operation", "lin2log")], [tgt],
                    300, -200)
    match = _node(body, "MatchGrade", "MatchGrade_baseline", [
        ("prelut", "Logarithmic"),
        ("lutres", 64),
    ], [src_log, tgt_log], 0, -100)
    back = _node(body, "Log2Lin", "Log2Lin_log2lin", [], [match], 0, 0)
    _output(body, back, 0, 100)
    return script


# -- RS_LumaMatch ------------------------------------------------------------------------------------


def build_luma_match() -> Script:
    """RS_LumaMatch: match the Reference's luma response to the Source, keeping its chroma.

    The published "luma matching pass" is undocumented; this is OUR design decision
    (flagged in the help): both sides go to YCbCr, their Y is flooded to grey (Expression), MatchGrade
    fits Reference Y → Source Y on the reference frames, and only the matched Y is copied back into
    the Reference before returning to linear.
    Inputs: ``Reference`` (0, adjusted) and ``Source`` (1, the tonal target).
    """
    script, gizmo = _new_gizmo(
        "RS_LumaMatch (design decision, not from the original workflow docs): fits the Reference\n"
        "luma (Y) to the Source luma with MatchGrade on grey Y images and puts back only the matched\n"
        "Y, so the Reference chroma is untouched. Set the reference frames, then Analyze.",
        _TILE_COLOUR,
    )
    gizmo.add_user_knob(user_knob(20, "RS_LumaMatch", "RS Luma Match"))
    for knob, label, tip in (
        ("sourceRefFrames", "reference frames (adjusted side)", "Frames to fit on."),
        ("targetRefFrames", "reference frames (Source side)", "Same indices as above."),
        ("analyzeRefFrames", "Analyze Reference Frames", "Fit the luma match."),
        ("transform", "transform", "3D LUT or CDL."),
    ):
        gizmo.add_user_knob(user_knob(41, knob, label, tip, link=f"MatchGrade_luma.{knob}"))

    body = gizmo.body
    ref = _input(body, "Reference", 0, 0, -400)
    src = _input(body, "Source", 1, 300, -400)
    ref_ycc = _node(body, "Colorspace", "Colorspace_reference_to_YCbCr",
                    [("colorspace_out", "YCbCr")], [ref], 0, -300)
    src_ycc = _node(body, "Colorspace", "Colorspace_source_to_YCbCr",
                    [("colorspace_out", "YCbCr")], [src], 300, -300)
    grey = [("expr0", "r"), ("expr1", "r"), ("expr2", "r")]
    ref_grey = _node(body, "Expression", "Expression_reference_Y_grey", grey, [ref_ycc], 150, -250)
    src_grey = _node(body, "Expression", "Expression_source_Y_grey", grey, [src_ycc], 300, -250)
    match = _node(body, "MatchGrade", "MatchGrade_luma", [], [ref_grey, src_grey], 150, -200)
    copy = _node(body, "Copy", "Copy_matched_Y", [
        ("from0", "rgba.red"), ("to0", "rgba.red"), ("bbox", "B"),
    ], [ref_ycc, match], 0, -150)
    back = _node(body, "Colorspace", "Colorspace_YCbCr_to_linear", [("colorspace_in", "YCbCr")],
                 [copy], 0, -50)
    _output(body, back, 0, 50)
    return script


# -- RS_CleanupCrop ----------------------------------------------------------------------------------


def build_cleanup_crop() -> Script:
    """RS_CleanupCrop: the training clean-up (clamp, alpha removal) behind a keyable crop.

    Crop (keyable box, reformat on so the trained format equals the box) → Grade with only the black
    and white clamps on → Remove alpha. Each step can be switched off.
    """
    script, gizmo = _new_gizmo(
        "RS_CleanupCrop: keyable crop (borders, overscan, subtitles, logos), clamp to 0-1 (Grade\n"
        "black/white clamp only) and remove alpha, as both CopyCat branches need.",
        _TILE_UTILITY,
    )
    gizmo.add_user_knob(user_knob(20, "RS_CleanupCrop", "RS Cleanup Crop"))
    gizmo.add_user_knob(user_knob(
        41, "box", "crop box", "Keyframe it when overlays come and go.", link="Crop_live_area.box",
    ))
    gizmo.add_user_knob(user_knob(
        41, "reformat", "reformat to box",
        "On: the output format is the crop box (what CopyCat trains on).",
        link="Crop_live_area.reformat",
    ))
    gizmo.add_user_knob(user_knob(
        6, "clamp", "clamp 0-1", "Black and white clamp, nothing else.", flags=["+STARTLINE"],
    ), value=True)
    gizmo.add_user_knob(user_knob(
        6, "remove_alpha", "remove alpha", "CopyCat trains more reliably on RGB without alpha.",
        flags=["-STARTLINE"],
    ), value=True)

    body = gizmo.body
    src = _input(body, "Input", 0, 0, -300)
    crop = _node(body, "Crop", "Crop_live_area", [
        ("box", Raw("{0 0 {width} {height}}")), ("reformat", True),
    ], [src], 0, -200)
    clamp = _node(body, "Grade", "Grade_clamp", [
        ("white_clamp", True), ("disable", Expr("!parent.clamp")),
    ], [crop], 0, -100)
    _remove_alpha_output(body, clamp, 0)
    return script


# -- RS_Compare --------------------------------------------------------------------------------------


def build_compare() -> Script:
    """RS_Compare: the workflow's comparisons: wipe, difference, 2-up and 4-up.

    Inputs ``A`` (0) … ``D`` (3), e.g. original / ML result / reference / MatchGrade baseline.
    ``wipe`` shows A left of the wipe line and B right of it; ``difference`` is |A − B| × gain;
    ``2-up`` puts A and B side by side; ``4-up`` is a 2×2 sheet of A, B (top) and C, D (bottom).
    """
    script, gizmo = _new_gizmo(
        "RS_Compare: wipe (A | B), difference |A-B| x gain, 2-up (A B) and 4-up (A B / C D).\n"
        "Typical inputs: A original, B ML result, C reference, D MatchGrade baseline.",
        _TILE_UTILITY,
    )
    gizmo.add_user_knob(user_knob(20, "RS_Compare", "RS Compare"))
    gizmo.add_user_knob(user_knob(
        4, "mode", "mode", "wipe, difference, 2-up or 4-up.",
        menu=["wipe", "difference", "2-up", "4-up"],
    ))
    gizmo.add_user_knob(user_knob(
        7, "wipe", "wipe position", "Fraction of the width shown from input A (wipe mode).",
        slider=(0, 1),
    ), value=0.5)
    gizmo.add_user_knob(user_knob(
        41, "gain", "difference gain", "Multiplies the difference so small errors show.",
        link="Grade_difference_gain.white",
    ))

    body = gizmo.body
    in_a = _input(body, "A", 0, 0, -400)
    in_b = _input(body, "B", 1, 200, -400)
    in_c = _input(body, "C", 2, 400, -400)
    in_d = _input(body, "D", 3, 600, -400)
    wipe_matte = _node(body, "Rectangle", "Rectangle_wipe_matte", [
        ("output", "alpha"),
        ("replace", True),
        ("area", Raw("{0 0 {width*parent.wipe} {height}}")),
    ], [in_b], 200, -300)
    wipe = _node(body, "Keymix", "Keymix_wipe", [], [in_b, in_a, wipe_matte], 0, -200)
    difference = _node(body, "Merge2", "Merge_difference", [("operation", "difference")],
                       [in_b, in_a], 200, -200)
    gain = _node(body, "Grade", "Grade_difference_gain", [("black_clamp", False)], [difference],
                 200, -150)
    two_up = _node(body, "ContactSheet", "ContactSheet_2up", [
        ("width", Expr("A.width*2")), ("height", Expr("A.height")),
        ("rows", 1), ("columns", 2), ("roworder", "TopBottom"),
    ], [in_a, in_b], 400, -200)
    four_up = _node(body, "ContactSheet", "ContactSheet_4up", [
        ("width", Expr("A.width*2")), ("height", Expr("A.height*2")),
        ("rows", 2), ("columns", 2), ("roworder", "TopBottom"),
    ], [in_a, in_b, in_c, in_d], 600, -200)
    switch = _node(body, "Switch", "Switch_mode", [("which", Expr("parent.mode"))],
                   [wipe, gain, two_up, four_up], 0, -50)
    _output(body, switch, 0, 50)
    return script


# -- registry ----------------------------------------------------------------------------------------

GIZMOS: Tuple[GizmoSpec, ...] = (
    GizmoSpec("RS_Align", "Align", "F_Align / manual Transform registration with difference check",
              build_align),
    GizmoSpec("RS_YCbCrShuffle", "YCbCr Shuffle", "luma from one input, chroma from the other",
              build_ycbcr_shuffle),
    GizmoSpec("RS_MatchGradeBaseline", "MatchGrade Baseline", "lin2log → MatchGrade → log2lin",
              build_matchgrade_baseline),
    GizmoSpec("RS_LumaMatch", "Luma Match", "match Reference luma to the Source, keep chroma",
              build_luma_match),
    GizmoSpec("RS_CleanupCrop", "Cleanup Crop", "keyable crop, clamp 0–1, remove alpha",
              build_cleanup_crop),
    GizmoSpec("RS_Compare", "Compare", "wipe / difference / 2-up / 4-up comparison",
              build_compare),
)


def gizmo_texts() -> Dict[str, str]:
    """``{filename: .gizmo text}`` for every RS_ gizmo, deterministic."""
    return {spec.filename: write_script(spec.build()) for spec in GIZMOS}
