"""Fuzz: random job configs carrying TCL payloads in every string field, built, then run by tclsh.

Each config puts hostile and merely awkward text (TCL substitutions, ``$env(X)``, backslashes,
braces, quotes, newlines, ``\\x5b``, Unicode, direction overrides, NUL) into one to four string
fields. Every config either is refused (a one-line ConfigError, or the recipes' refusal) or builds;
every script built is then run by the TCL oracle (``tests/tcl_oracle.py``: Debian's tclsh with
stub commands recording what would run, every knob value also passed through ``subst``), and
nothing may run except our own documented ``project_directory`` idiom. Seeded: the same configs
every run; ``NUKE_RESTORE_FUZZ_SEED`` / ``NUKE_RESTORE_FUZZ_CASES`` explore further.
"""
from __future__ import annotations

import copy
import os
import random
import re

import pytest
import yaml

from nuke_restore.config import config_from_dict
from nuke_restore.errors import ConfigError, NukeRestoreError
from nuke_restore.recipes import build_scripts, sample_config_text

oracle = pytest.importorskip("tcl_oracle")
try:  # the --untrusted analysis (nk/untrusted.py), when this tree has it
    from nuke_restore.nk.untrusted import scan_text
except ImportError:  # pragma: no cover
    scan_text = None

SEED = int(os.environ.get("NUKE_RESTORE_FUZZ_SEED", "20261203"))
CASES = int(os.environ.get("NUKE_RESTORE_FUZZ_CASES", "120"))
# Our own Root.project_directory idiom, the one command a built script may run (docs/security.md).
OWN = "python nuke.script_directory()"

HOSTILE = [
    "[python {open('/tmp/PWNED','w')}]", "[exec touch /tmp/PWNED]", "[::python 1]",
    "$env(HOME)", "${x}", "$x([python 2])", "\\[python 3]", "\\x5bpython 4]", "\\u005bpython 5]",
    "\\", "\\\n", ";python 6;", "[open |id]", "[source /etc/passwd]", "\x00", "\r", "\u202e",
    "\x1b[31m", "\u2028", "[", "$",
]
AWKWARD = [
    '"', "{", "}", "{}", "} {", '"q"', ";", "#", "]", "ü", "日本語", "—", " ", "\t", "\n", "a b",
    "x", "SH", "_", "1", ".", "-", "/", "(c)", "&", "%", "'", "`", "~", "!", "=", "<>", "@",
]

FIELDS = [
    "project.name", "project.film_title", "project.format.name", "project.ocio_config",
    "project.ocio_config_path", "project.working_space", "project.read_colorspace",
    "project.write_colorspace", "project.nuke_version", "clips.main.source",
    "clips.main.reference", "clips.main.balanced", "clips.main.colorspace", "shots.0.name",
    "shots.0.scene", "provenance.film_title", "provenance.restorationist",
    "provenance.institution", "provenance.source_element", "provenance.reference_source",
    "provenance.training_date", "provenance.processing_date", "provenance.notes",
    "provenance.ml_processing", "procedures.0.name", "procedures.2.citation",
    "procedures.2.assumptions", "procedures.1.name", "dataset.citation", "dataset.assumptions",
    "inference.model_files.chroma", "inference.model_files.SH010.chroma_matched",
    "outputs.experiments_log",
]
FRAME_PATHS = {"clips.main.source", "clips.main.reference", "clips.main.balanced"}
# Fields with a strict pattern: half the time a valid value, so the others still get built.
STRICT = {"project.name": "A", "project.format.name": "F", "shots.0.name": "SH",
          "shots.0.scene": "SC", "procedures.0.name": "p", "procedures.1.name": "q",
          "project.nuke_version": None}


# The only lines of a built script that may hold '[', '$' or a backslash other than the \n \t \"
# \{ \} escapes of quoted text: the graph's stack commands and the project_directory idiom.
_STRUCTURAL = re.compile(r'(?:push \$[NC][0-9a-f]+|set [NC][0-9a-f]+ \[stack 0\]|clone \$C[0-9a-f]+ \{'
                         r'| project_directory "\\\[python \\\{nuke\.script_directory\(\)\\\}\]")')
_ESCAPES = re.compile(r'\\[nt"{}]')


def _live_lines(text: str):
    """Lines that could hold live TCL (see _STRUCTURAL): must be none."""
    for line in text.split("\n"):
        rest = _ESCAPES.sub("", line)
        if any(c in rest for c in "[$\\") and not _STRUCTURAL.fullmatch(line):
            yield line


def _payload(rng: random.Random) -> str:
    parts = [rng.choice(AWKWARD) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.4:
        parts.insert(rng.randint(0, len(parts)), rng.choice(HOSTILE))
    return "".join(parts)


def _set(data: dict, dotted: str, value: str) -> None:
    if dotted.startswith("inference.model_files."):
        data.setdefault("inference", {}).setdefault("model_files", {})[
            dotted[len("inference.model_files."):]] = value
        return
    keys = dotted.split(".")
    node = data
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    node[keys[-1]] = value


def _configs():
    rng = random.Random(SEED)
    base = yaml.safe_load(sample_config_text())
    for _ in range(CASES):
        data = copy.deepcopy(base)
        for field in rng.sample(FIELDS, rng.randint(1, 4)):
            value = _payload(rng)
            if field in STRICT and rng.random() < 0.5:
                prefix = STRICT[field]
                value = f"{rng.randint(6, 17)}.{rng.randint(0, 5)} v{rng.randint(1, 9)}" \
                    if prefix is None else prefix + "".join(
                        rng.choice("abcXYZ_0189") for _ in range(rng.randint(0, 6)))
            if field in FRAME_PATHS:
                value = f"plates/{value}/SRC.####.exr"
            elif field.startswith("inference.model_files") or field == "project.ocio_config_path":
                value = f"m/{value}.cat"
            _set(data, field, value)
        yield data


def test_fuzzed_configs_never_run_code(tmp_path):
    oracle.require_tclsh()
    texts, names = [], []
    refused = built_configs = 0
    for i, data in enumerate(_configs()):
        try:
            cfg = config_from_dict(data, path=str(tmp_path / "job.yaml"))
            built = build_scripts(cfg, shots=[data["shots"][0]["name"]], outdir=tmp_path / "out")
        except ConfigError as exc:
            assert "\n" not in str(exc), str(exc)
            refused += 1
            continue
        except NukeRestoreError as exc:
            assert "refusing to build" in str(exc) or "no shot" in str(exc), str(exc)
            refused += 1
            continue
        built_configs += 1
        for b in built:
            # Independent of the oracle: no user text holds '[', '$' or a backslash.
            assert list(_live_lines(b.text)) == [], (i, b.relpath)
            if scan_text is not None:  # and `validate --untrusted` finds nothing either
                assert scan_text(b.text) == [], (i, b.relpath)
            texts.append(b.text)
            names.append(f"case {i}: {b.relpath}")
    # The fuzz exercised both sides: text that is refused and awkward text that is written.
    assert refused >= CASES // 5 and built_configs >= CASES // 5, (refused, built_configs)
    print(f"fuzz: {refused} configs refused, {built_configs} built ({len(texts)} scripts)")
    results = oracle.run_oracle_many(texts, timeout=600)
    for name, text, res in zip(names, texts, results):
        assert res.ok, (name, res.error)
        ran = [e for e in res.executed if e != OWN]
        assert ran == [], (name, ran, text[:2000])


def test_the_fuzz_would_see_code_without_the_gate(tmp_path, monkeypatch):
    """The same pipeline with the text gate switched off: the oracle does see payloads run, so
    the test above can fail."""
    oracle.require_tclsh()
    import nuke_restore.config.fields as fields
    import nuke_restore.config.model as model
    import nuke_restore.nk.values as values
    import nuke_restore.recipes.graph as graph

    for mod in (fields, model, values):
        monkeypatch.setattr(mod, "text_problem", lambda *_a, **_k: None)
    monkeypatch.setattr(graph, "_problem", lambda *_a, **_k: None)
    data = yaml.safe_load(sample_config_text())
    data["project"]["film_title"] = "[python {open('/tmp/x','w')}]"
    data["provenance"]["restorationist"] = "[exec id]"
    data["clips"]["main"]["source"] = "plates/[python 1]/SRC.####.exr"
    cfg = config_from_dict(data, path=str(tmp_path / "job.yaml"))
    built = build_scripts(cfg, shots=["SH010"], outdir=tmp_path / "out")
    seen = set()
    for res in oracle.run_oracle_many([b.text for b in built]):
        seen.update(e.split(" ", 1)[0] for e in res.executed if e != OWN)
    assert "python" in seen, seen
    if scan_text is not None:
        assert any(scan_text(b.text) for b in built)
    # The line check sees the metadata value the oracle does not evaluate ({set key "\[exec id]"}
    # inside a braced list: Nuke substitutes it, tclsh's one subst pass does not).
    live = [line for b in built for line in _live_lines(b.text)]
    assert any("exec id" in line for line in live) and any("python 1" in line for line in live)
