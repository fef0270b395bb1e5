"""Property tests: random graphs (fan-out, empty inputs, masks, groups, clones, odd values)
survive write -> parse as the same graph, in both writer modes."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nuke_restore.nk import Graph, Script, parse_text, write_script

TEXTS = st.one_of(
    st.text(min_size=0, max_size=12),
    st.sampled_from(['a b', '[value in]', '{x}', '"q"', "back\\slash", "$var", "#hash", "multi\nline",
                     "tab\there", "微软雅黑", "}", "{", "\\", ""]),
)
VALUES = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False,
                                                          width=32),
                   st.booleans(), TEXTS, st.lists(st.integers(-5, 5), min_size=1, max_size=4))


@st.composite
def graphs(draw, depth=0, graph=None, counter=None):
    counter = counter if counter is not None else [0]
    graph = graph if graph is not None else Script(kind="bare")
    nodes = []
    for _ in range(draw(st.integers(1, 7 if depth == 0 else 4))):
        counter[0] += 1
        name = f"n{counter[0]}"
        kind = draw(st.sampled_from(["plain", "plain", "plain", "group", "clone"] if depth < 2
                                    else ["plain", "plain", "clone"]))
        n_in = draw(st.integers(0, 3))
        inputs = [draw(st.one_of(st.none(), st.sampled_from(nodes))) if nodes else None
                  for _ in range(n_in)]
        knobs = [(f"k{i}", draw(VALUES)) for i in range(draw(st.integers(0, 3)))]
        originals = [n for n in nodes if n.clone_of is None and n.body is None]
        if kind == "clone" and originals:
            node = graph.add_clone(draw(st.sampled_from(originals)), [("xpos", counter[0])],
                                   inputs=inputs)
        elif kind == "group":
            node = graph.add("Group", knobs, inputs=inputs, name=name)
            draw(graphs(depth=depth + 1, graph=node.body, counter=counter))
        else:
            mask = draw(st.one_of(st.none(), st.sampled_from(nodes))) if nodes else None
            node = graph.add(draw(st.sampled_from(["Grade", "Merge2", "Blur", "My.Class_v2"])),
                             knobs, inputs=inputs, name=name, mask=mask)
        nodes.append(node)
    if draw(st.booleans()):
        graph.items.reverse()  # any item order must still be written correctly
    return graph


def _check(script: Graph) -> None:
    for canonical in (False, True):
        text = write_script(script, canonical=canonical)
        again = parse_text(text)
        assert again.signature() == script.signature(), text
        # Written again from the parse, a file is a fixed point (replay) ...
        assert write_script(again) == text
        # ... and canonical output settles: formatting it again changes nothing. (With clones, the
        # first pass can still move a clone's original once - about 1 graph in 700 - so the check
        # is on the second pass; see docs/nk-engine.md.)
        if canonical:
            second = write_script(again, canonical=True)
            third = write_script(parse_text(second), canonical=True)
            assert third == second
            if not any(n.clone_of is not None for n in script.walk()):
                assert second == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_random_graphs_round_trip(script):
    _check(script)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["a", "b", "c"])), max_size=60))
def test_random_fan_out_chains(edges):
    s = Script(kind="bare")
    pool = [s.add("Constant", inputs=(), name="src")]
    for i, (pick, cls) in enumerate(edges):
        a = pool[pick % len(pool)]
        b = pool[(pick * 7 + 3) % len(pool)]
        pool.append(s.add({"a": "Grade", "b": "Merge2", "c": "Keymix"}[cls],
                          inputs=[a] if cls == "a" else [a, b] if cls == "b" else [None, b, a],
                          name=f"x{i}"))
    _check(s)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.randoms(use_true_random=False))
def test_edits_after_parse_round_trip(script, rng):
    """Parse a written graph, rewire one input somewhere (any group), write: the result is the
    edited graph (replayed where the layout still fits, regenerated where it does not)."""
    parsed = parse_text(write_script(script))
    graphs_ = [parsed] + [n.body for n in parsed.walk() if n.body is not None]
    graph = rng.choice(graphs_)
    nodes = [n for n in graph.nodes if n.clone_of is None]
    if not nodes:
        return
    node = rng.choice(nodes)
    others = [n for n in graph.nodes if n is not node and node not in _upstream(n)]
    node.connect(rng.randrange(3), rng.choice(others + [None]))
    text = write_script(parsed)
    assert parse_text(text).signature() == parsed.signature(), text


def _upstream(node):
    seen, todo = set(), [node]
    out = []
    while todo:
        cur = todo.pop()
        # A clone's original is written before the clone: for the file, it is upstream too.
        for src in list(cur.inputs) + [cur.clone_of]:
            if src is not None and id(src) not in seen:
                seen.add(id(src))
                out.append(src)
                todo.append(src)
    return out
