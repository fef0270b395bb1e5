"""Find the checkpoint CopyCat actually wrote, for the model path a built script's Inference loads.

The recipes cannot know CopyCat's file names before training: CopyCat saves its checkpoints in its
data directory as ``Training_<yymmdd_hhmmss>.<steps>.cat`` (``.catnc`` in Non-Commercial), while a
built inference script loads a predictable path, ``<data dir>/<unit>_<procedure>.<steps>.cat``. Before
a render (or a later training stage that reads an earlier stage's model) the farm scripts resolve that
path with one documented rule:

1. If the model file exists and nuke-restore did not put it there (no ``<model>.checkpoint.json``
   beside it), it is used as is: the artist chose it (``inference.model_files``, or a copy by hand).
2. Otherwise, among ``Training_<yymmdd_hhmmss>.<steps>.<ext>`` in the model's folder with at most the
   requested steps (the number in the model's name), the one with the newest timestamp wins; on equal
   timestamps, the one with most steps. So a fresh run's last checkpoint wins over an older run's, and
   a checkpoint of a longer, unrelated run in the same folder is never taken.
3. It is linked (or copied) to the model path, and ``<model>.checkpoint.json`` records which file was
   used, its steps and the requested steps. A checkpoint with fewer steps than requested (training
   stopped early) is used with a warning, so an unattended chain still reaches QC and the record says so.
4. No matching checkpoint: the script stops with a message naming the folder and the pattern.

The same rule in Python (``pick_checkpoint``) is what the tests and ``nuke-restore`` use; the shell
function below is what runs on the farm (POSIX sh, no Python needed on render nodes).
"""
from __future__ import annotations

import re
from typing import Iterable, Optional, Tuple

__all__ = ["CHECKPOINT_RE", "pick_checkpoint", "requested_steps", "RESOLVE_FUNCTION"]

CHECKPOINT_RE = re.compile(r"^Training_(\d{6})_(\d{6})\.(\d+)\.(cat|catnc)$")
_STEPS_RE = re.compile(r"\.(\d+)\.(cat|catnc)$")


def requested_steps(model_name: str) -> Optional[int]:
    """The step count in a built script's model name (``SH010_chroma.40000.cat`` -> 40000)."""
    m = _STEPS_RE.search(model_name)
    return int(m.group(1)) if m else None


def pick_checkpoint(names: Iterable[str], want_steps: Optional[int], ext: str = "cat"
                    ) -> Optional[Tuple[str, int]]:
    """The checkpoint the rule picks among file ``names`` (and its steps), or None."""
    best: Optional[Tuple[int, int, str]] = None
    for name in names:
        m = CHECKPOINT_RE.match(name)
        if not m or m.group(4) != ext:
            continue
        stamp, steps = int(m.group(1) + m.group(2)), int(m.group(3))
        if want_steps is not None and steps > want_steps:
            continue
        if best is None or (stamp, steps) > best[:2]:
            best = (stamp, steps, name)
    return None if best is None else (best[2], best[1])


#: ``nr_resolve_model MODEL``: the rule above in POSIX sh (see the module docstring).
RESOLVE_FUNCTION = r"""# nr_resolve_model MODEL: make MODEL the checkpoint CopyCat wrote beside it (rule: docs/farm.md,
# "Which checkpoint"): a model nuke-restore did not place is used as is; else the newest
# Training_<yymmdd_hhmmss>.<steps>.<ext> with at most the requested steps (most steps on a tie) is
# linked to MODEL and recorded in MODEL.checkpoint.json.
nr_resolve_model() {
    nr_model=$1
    nr_record="$nr_model.checkpoint.json"
    if [ -e "$nr_model" ] && [ ! -e "$nr_record" ]; then
        return 0
    fi
    nr_dir=$(dirname "$nr_model")
    nr_base=$(basename "$nr_model")
    nr_ext=${nr_base##*.}
    nr_want=$(printf '%s\n' "$nr_base" | sed -n 's/.*\.\([0-9][0-9]*\)\.[A-Za-z]*$/\1/p')
    nr_best="" nr_best_stamp=-1 nr_best_steps=-1
    for nr_f in "$nr_dir"/Training_*."$nr_ext"; do
        [ -e "$nr_f" ] || continue
        nr_name=$(basename "$nr_f")
        nr_fields=$(printf '%s\n' "$nr_name" | sed -n \
            "s/^Training_\([0-9]\{6\}\)_\([0-9]\{6\}\)\.\([0-9][0-9]*\)\.$nr_ext\$/\1\2 \3/p")
        [ -n "$nr_fields" ] || continue
        nr_stamp=${nr_fields% *}
        nr_steps=${nr_fields#* }
        if [ -n "$nr_want" ] && [ "$nr_steps" -gt "$nr_want" ]; then
            continue
        fi
        if [ "$nr_stamp" -gt "$nr_best_stamp" ] || { [ "$nr_stamp" -eq "$nr_best_stamp" ] &&
                [ "$nr_steps" -gt "$nr_best_steps" ]; }; then
            nr_best=$nr_name nr_best_stamp=$nr_stamp nr_best_steps=$nr_steps
        fi
    done
    if [ -z "$nr_best" ]; then
        printf 'nuke-restore: trained model %s is missing and %s holds no CopyCat checkpoint Training_<yymmdd_hhmmss>.<steps>.%s with at most %s steps; did training finish?\n' \
            "$nr_model" "$nr_dir" "$nr_ext" "${nr_want:-any}" >&2
        return 1
    fi
    nr_tmp="$nr_model.tmp.$$"
    rm -f "$nr_tmp"
    ln "$nr_dir/$nr_best" "$nr_tmp" 2>/dev/null || cp "$nr_dir/$nr_best" "$nr_tmp" || return 1
    mv -f "$nr_tmp" "$nr_model"
    nr_note=""
    if [ -n "$nr_want" ] && [ "$nr_best_steps" -lt "$nr_want" ]; then
        nr_note="training stopped early: $nr_best_steps of $nr_want steps"
        printf 'nuke-restore: warning: %s uses %s (%s)\n' "$nr_base" "$nr_best" "$nr_note" >&2
    fi
    printf '{"model": "%s", "checkpoint": "%s", "steps": %s, "requested_steps": %s, "note": "%s"}\n' \
        "$nr_base" "$nr_best" "$nr_best_steps" "${nr_want:-null}" "$nr_note" >"$nr_record.tmp.$$"
    mv -f "$nr_record.tmp.$$" "$nr_record"
    printf 'nuke-restore: %s <- %s (%s steps)\n' "$nr_model" "$nr_best" "$nr_best_steps" >&2
}
"""
