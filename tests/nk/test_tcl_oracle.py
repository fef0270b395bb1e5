"""The TCL oracle itself: it must see what a real TCL interpreter runs, and nothing on plain scripts."""
from __future__ import annotations

import pytest
from tcl_oracle import require_tclsh, run_oracle_many


@pytest.fixture(scope="module", autouse=True)
def _tclsh():
    require_tclsh()


def test_oracle_sees_code_in_every_position():
    cases = {
        "python {import os}\n": "python",
        "set x [exec ls]\nBlur {}\n": "exec",
        "::python x\n": "python",
        "\\x70ython y\n": "python",
        "eval [string cat py thon] q\n": "python",
        "proc f {} {python p}\nf\n": "python",
        'Blur {\n label "\\[python {1}]"\n}\n': "python",
        "Blur {\n file {[open |ls]}\n}\n": "open",
        'Blur {\n knobChanged "print(2)"\n}\n': "callback",
        "knob root.onScriptSave {print(3)}\n": "callback",
        'Group {\n}\n Blur {\n  addUserKnob {22 b l B T "print(4)"}\n }\nend_group\n': "button",
    }
    results = run_oracle_many(list(cases))
    for (text, kind), res in zip(cases.items(), results):
        assert res.ok, (text, res.error)
        assert res.ran(kind), (text, res.executed)


def test_oracle_plain_script_runs_nothing_and_sees_the_nodes():
    text = ('version 15.1 v1\nRoot {\n inputs 0\n name /x/y.nk\n}\nBlur {\n inputs 0\n size 3\n'
            ' label "\\[value size]"\n name Blur1\n}\nset N1 [stack 0]\npush $N1\nGrade {\n'
            ' white {{"[value Blur1.size] * 2"}}\n name G\n}\n')
    (res,) = run_oracle_many([text])
    assert res.ok and res.executed == []
    assert res.nodes == ["Root", "Blur", "Grade"]


def test_oracle_stops_endless_loops():
    (res,) = run_oracle_many(["while 1 {set a 1}\nBlur {}\n"])
    assert not res.ok and "limit" in (res.error or "")
