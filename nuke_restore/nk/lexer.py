"""TCL word scanning for .nk/.gizmo text. Standard library only; nothing is ever evaluated.

A Nuke script is a TCL script: commands of words, one command per line unless a word spans lines.
A word is a bare word (``[...]`` command substitutions and ``\\`` escapes are kept inside it), a
``"..."`` string with backslash escapes, or a balanced ``{...}`` group. The scanners here only find where
a word ends; the parser keeps the raw text so output can reproduce it byte for byte.

Speed matters (scripts of 10+ MB, single lines of ~1 MB): every scanner is a compiled regular expression
or a loop that jumps between the few characters that matter, never a Python loop per character.

Source decoding: files are read as bytes and decoded as UTF-8; bytes that are not UTF-8 (one corpus
file has GBK) are kept as lone surrogates (``surrogateescape``) so writing encodes them back exactly.
"""
from __future__ import annotations

import bisect
import os
import re
import stat
import sys
from typing import List, Optional, Tuple

from ..errors import NkSyntaxError

#: TCL whitespace. Not ``\\s``: Python's ``\\s`` also matches NBSP and other Unicode spaces that are data.
WS = " \t\n\r\f\v"
HSPACE = re.compile(r"[ \t\r\f\v]*")
SPACE = re.compile(r"[ \t\n\r\f\v]*")

# Possessive quantifiers (Python 3.11+) where giving back characters can never lead to a match
# (every repeated piece is followed by a character it cannot end with): the same matches, with
# no backtracking bookkeeping. Without them, `re` keeps state per repetition: a 9 MB quoted value
# with 1.3M escapes cost 190 MB in one match. Older Pythons get the plain pattern.
_P = "+" if sys.version_info >= (3, 11) else ""

# Unrolled-loop string pattern: linear time even on an unterminated 1 MB string.
_QUOTED = re.compile(r'"[^"\\]*' + _P + r'(?:\\.[^"\\]*' + _P + r')*' + _P + '"', re.S)
_FLAT_BRACE = re.compile(r"\{[^{}\\]*\}")
_BRACE_SPECIAL = re.compile(r"[{}\\]")
_BRACKET_SPECIAL = re.compile(r"[\[\]{}\\]")
_BARE_STOP = re.compile(r"[ \t\n\r\f\v{}\[\\]")

#: One knob in its common shape (``<ws>name value``); anything else goes through the general scanner.
#: Groups: pre-whitespace, name, separator, value. The value must be followed by whitespace or ``}``.
KNOB_FAST = re.compile(
    r"([ \t\r\n]*)([A-Za-z_][\w.]*)([ \t]+)"
    r'([^ \t\n\r\f\v{}"\[\\]+|"[^"\\\n]*' + _P + r'(?:\\.[^"\\\n]*' + _P + r')*' + _P
    + r'"|\{[^{}\\\n]*\}|\{\{[^{}\\\n]*\}\})'
    r"(?=[ \t\r\n}]|\Z)"
)

_VALUE_FAST = (r'(?:[^ \t\n\r\f\v{}"\[\\]+|"[^"\\\n]*' + _P + r'(?:\\.[^"\\\n]*' + _P + r')*' + _P
               + r'"|\{[^{}\\\n]*\}|\{\{[^{}\\\n]*\}\})')
#: A whole node body made only of common-shape knobs, up to and including its closing brace.
#: Groups: the knobs (split with ``KNOB_FAST.findall``), the whitespace before ``}``.
BODY_FAST = re.compile(
    r"((?:[ \t\r\n]*[A-Za-z_][\w.]*[ \t]+" + _VALUE_FAST + r"(?=[ \t\r\n}]))*" + _P
    + r")([ \t\r\n]*)\}"
)
_EOL = r"(?=[ \t\r]*(?:\n|\Z))"
_VAR = r'[^ \t\n\r\f\v{}\[\]"\\$]+'
#: One top-level command in Nuke's own layout, in a single match (the parser's fast path).
#: Groups: 1 lead whitespace; node: 2 class, 3 knob text, 4 value of a leading ``inputs`` knob,
#: 5 whitespace before ``}``; 6 ``push $`` variable; 7 ``push 0``; 8 ``set`` variable.
_VALUE_FAST_P = (r'(?:[^ \t\n\r\f\v{}"\[\\]+' + _P + r'|"[^"\\\n]*' + _P + r'(?:\\.[^"\\\n]*' + _P
                 + r")*" + _P + r'"|\{[^{}\\\n]*' + _P + r"\}|\{\{[^{}\\\n]*" + _P + r"\}\})")
COMMAND_FAST = re.compile(
    r"([ \t\r\n]*" + _P + r")(?:"
    r"([A-Za-z_][\w.]*" + _P + r") \{("
    r"(?:[ \t\r\n]*" + _P + r"inputs[ \t]+" + _P + r'([^ \t\n\r\f\v{}"\[\\]+' + _P
    + r")(?=[ \t\r\n}]))?"
    r"(?:[ \t\r\n]*" + _P + r"[A-Za-z_][\w.]*" + _P + r"[ \t]+" + _P + _VALUE_FAST_P
    + r"(?=[ \t\r\n}]))*" + _P +
    r")([ \t\r\n]*)\}" + _EOL +
    r"|push \$(" + _VAR + r")" + _EOL +
    r"|(push 0)" + _EOL +
    r"|set (" + _VAR + r") \[stack 0\]" + _EOL +
    r")"
)
#: The header of a node block: class name, spacing, opening brace.
HEAD_FAST = re.compile(r"([A-Za-z_][\w.]*)([ \t]*)\{")

_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_ENCRYPTED_SUFFIXES = (".nknc", ".nkind", ".gizmonc", ".gizmoind")
_BASE64_LINE = re.compile(rb"^[A-Za-z0-9+/=\r\n]{64,}$")


class LineIndex:
    """Offsets -> (line, column), both 1-based, computed only when needed (errors, hints)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: Optional[List[int]] = None

    def locate(self, pos: int) -> Tuple[int, int]:
        if self._starts is None:
            starts = [0]
            starts.extend(m.end() for m in re.finditer("\n", self._text))
            self._starts = starts
        i = bisect.bisect_right(self._starts, pos) - 1
        return i + 1, pos - self._starts[i] + 1


class Source:
    """Decoded text plus what is needed to give errors a location."""

    def __init__(self, text: str, path: Optional[str] = None) -> None:
        self.text = text
        self.path = path
        self.lines = LineIndex(text)

    def error(self, message: str, pos: int) -> NkSyntaxError:
        line, col = self.lines.locate(min(max(pos, 0), len(self.text)))
        # One line, always: quoted file text may hold newlines.
        message = message.replace("\r", "\\r").replace("\n", "\\n")
        return NkSyntaxError(message, path=self.path, line=line, column=col)

    def where(self, pos: int) -> str:
        line, col = self.lines.locate(pos)
        return f"line {line}, column {col}"

    # -- word scanners: each returns the offset just past the word ---------------------------------
    def scan_word(self, pos: int) -> int:
        """End of the TCL word that starts at ``pos`` (which is not whitespace)."""
        text = self.text
        c = text[pos]
        if c == '"':
            m = _QUOTED.match(text, pos)
            if m is None:
                raise self.error(f'unclosed quote: the string opened at {self.where(pos)} never ends',
                                 pos)
            end = m.end()
        elif c == "{":
            end = self.scan_braces(pos)
        else:
            return self.scan_bare(pos)
        # TCL rejects text glued to a closing quote/brace; keep it in the same word rather than fail.
        if end < len(text) and text[end] not in WS and text[end] != "}":
            end = self.scan_bare(end)
        return end

    def scan_braces(self, pos: int) -> int:
        """End of the balanced ``{...}`` group at ``pos`` (escaped braces do not count)."""
        text = self.text
        m = _FLAT_BRACE.match(text, pos)
        if m is not None:
            return m.end()
        depth = 0
        i = pos
        search = _BRACE_SPECIAL.search
        while True:
            m = search(text, i)
            if m is None:
                raise self.error(f"unclosed brace: the '{{' opened at {self.where(pos)} is never closed",
                                 pos)
            j = m.start()
            ch = text[j]
            if ch == "\\":
                i = j + 2
                continue
            if ch == "{":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return j + 1
            i = j + 1

    def scan_brackets(self, pos: int) -> int:
        """End of the ``[...]`` command substitution at ``pos`` (nested, braces inside skipped)."""
        text = self.text
        depth = 0
        i = pos
        search = _BRACKET_SPECIAL.search
        while True:
            m = search(text, i)
            if m is None:
                raise self.error(f"unclosed bracket: the '[' opened at {self.where(pos)} is never closed",
                                 pos)
            j = m.start()
            ch = text[j]
            if ch == "\\":
                i = j + 2
            elif ch == "[":
                depth += 1
                i = j + 1
            elif ch == "]":
                depth -= 1
                i = j + 1
                if depth == 0:
                    return i
            elif ch == "{":
                i = self.scan_braces(j)
            else:  # a '}' inside brackets closes nothing of ours; TCL would complain, we keep going
                i = j + 1

    def scan_bare(self, pos: int) -> int:
        """End of a bare word: up to whitespace, or a ``}`` that closes the enclosing brace group."""
        text = self.text
        n = len(text)
        i = pos
        depth = 0
        search = _BARE_STOP.search
        while True:
            m = search(text, i)
            if m is None:
                return n
            j = m.start()
            ch = text[j]
            if ch == "\\":
                i = min(j + 2, n)
            elif ch == "[":
                i = self.scan_brackets(j)
            elif ch == "{":
                depth += 1
                i = j + 1
            elif ch == "}":
                if depth == 0:
                    return j
                depth -= 1
                i = j + 1
            else:
                return j


def decode(data: bytes) -> Tuple[str, str, bool]:
    """Bytes -> (text with LF newlines, newline style of the file, had a UTF-8 BOM).

    Non-UTF-8 bytes survive as surrogate escapes; ``encode`` restores them. A file whose every
    newline is CRLF is read as LF and written back as CRLF; mixed files keep their ``\\r`` as data.
    """
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    text = data.decode("utf-8", "surrogateescape")
    newline = "\n"
    if "\r\n" in text and text.count("\r\n") == text.count("\n"):
        newline = "\r\n"
        text = text.replace("\r\n", "\n")
    return text, newline, bom


def encode(text: str, newline: str = "\n", bom: bool = False) -> bytes:
    """The inverse of ``decode``."""
    if newline != "\n":
        text = text.replace("\n", newline)
    raw = text.encode("utf-8", "surrogateescape")
    return b"\xef\xbb\xbf" + raw if bom else raw


def check_not_encrypted(data: bytes, path: Optional[str]) -> None:
    """Refuse encrypted Non-Commercial/Indie scripts and binary files with a clear message.

    No public sample of an encrypted ``.nknc``/``.nkind`` file was found while writing this, so the
    check is by evidence we have: the edition's file suffix plus content that is not TCL text
    (NUL/control bytes, or a base64-like first line). A binary file with any other suffix is reported
    as not being a Nuke script.
    """
    from ..errors import EncryptedScriptError

    head = data[:4096]
    suffix = ""
    if path:
        lower = str(path).lower()
        suffix = next((s for s in _ENCRYPTED_SUFFIXES if lower.endswith(s)), "")
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    binary = b"\x00" in head or (len(head) > 0 and controls > len(head) // 20)
    first_line = head.split(b"\n", 1)[0]
    base64ish = bool(_BASE64_LINE.match(first_line))
    if suffix and (binary or base64ish):
        raise EncryptedScriptError(
            f"this is an encrypted Nuke {'Indie' if 'ind' in suffix else 'Non-Commercial'} script "
            f"({suffix}); only Nuke Non-Commercial/Indie can open it",
            path=path, line=1, column=1)
    if binary:
        pos = head.find(b"\x00")
        raise NkSyntaxError(
            "not a Nuke script: binary data"
            + (f" (NUL byte at offset {pos})" if pos >= 0 else "")
            + "; an encrypted Non-Commercial/Indie script can only be opened by that edition of Nuke",
            path=path, line=1, column=1)


def read_script_bytes(path) -> bytes:
    """The bytes of the regular file at ``path``; anything else is refused with NkSyntaxError.

    FIFOs, devices (``/dev/zero``, ``/dev/urandom``), sockets and folders never end or are not
    scripts: reading them would hang or fill memory. The file is opened non-blocking (opening a
    FIFO with no writer would otherwise wait forever) and checked with ``fstat`` on the open
    descriptor, so a path swapped between check and read cannot slip through.
    """
    spath = os.fspath(path)
    try:
        fd = os.open(spath, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise NkSyntaxError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a folder" if stat.S_ISDIR(st.st_mode) else
                    "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else
                    "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                    "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            raise NkSyntaxError(f"not a regular file ({kind}): only regular .nk/.gizmo files "
                                "are read", path=str(path))
        chunks = []
        size = st.st_size
        while True:
            chunk = os.read(fd, max(size + 1, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError as exc:
        raise NkSyntaxError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc
    finally:
        os.close(fd)
