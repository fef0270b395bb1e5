"""TCL word scanning and source decoding."""
from __future__ import annotations

import pytest

from nuke_restore.errors import NkSyntaxError
from nuke_restore.nk.lexer import Source, decode, encode


def _word(text: str, pos: int = 0) -> str:
    src = Source(text, "t.nk")
    return text[pos:src.scan_word(pos)]


@pytest.mark.parametrize("text, word", [
    ('"a \\" b" rest', '"a \\" b"'),
    ('"multi\nline" x', '"multi\nline"'),
    ("{a {b c} \\} d} rest", "{a {b c} \\} d}"),
    ("{{curve x1 0 x10 1}}}", "{{curve x1 0 x10 1}}"),  # a body's closing brace is not ours
    ("[value in] x", "[value in]"),
    ("file_[python {nuke.root().name()}].exr next", "file_[python {nuke.root().name()}].exr"),
    ("a\\ b c", "a\\ b"),
    ("Dot3}", "Dot3"),
    ("a{b}c d", "a{b}c"),
    ("caf\u00e9\u00a0x y", "caf\u00e9\u00a0x"),  # NBSP is data, not TCL whitespace
    ('"glued"tail x', '"glued"tail'),
])
def test_scan_word(text, word):
    assert _word(text) == word


@pytest.mark.parametrize("text, pos, message, line, col", [
    ("x\n  {a {b}", 4, "unclosed brace", 2, 3),
    ('"abc', 0, "unclosed quote", 1, 1),
    ("a[b c", 0, "unclosed bracket", 1, 2),
])
def test_unclosed_words_raise_with_location(text, pos, message, line, col):
    with pytest.raises(NkSyntaxError) as exc:
        Source(text, "t.nk").scan_word(pos)
    assert message in str(exc.value)
    assert (exc.value.line, exc.value.column) == (line, col)
    assert str(exc.value).startswith(f"t.nk:{line}:{col}: ")


def test_decode_encode_round_trip_bytes():
    raw = b"Read {\r\n label \"\xb6\xc1\"\r\n}\r\n"
    text, newline, bom = decode(raw)
    assert newline == "\r\n" and not bom and "\r" not in text
    assert encode(text, newline, bom) == raw
    mixed = b"a\r\nb\nc"
    text, newline, _ = decode(mixed)
    assert newline == "\n" and "\r" in text
    assert encode(text, newline) == mixed
    text, newline, bom = decode(b"\xef\xbb\xbfRoot {\n}\n")
    assert bom and text.startswith("Root")
    assert encode(text, newline, bom).startswith(b"\xef\xbb\xbf")


def test_long_brace_value_is_linear():
    import time

    body = "{" + " ".join(f"{{{i} {i}}}" for i in range(100_000)) + "}"
    t0 = time.process_time()
    assert _word(body + " x") == body
    assert time.process_time() - t0 < 2.0
