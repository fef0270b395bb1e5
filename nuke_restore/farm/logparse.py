"""Read a CopyCat / Nuke terminal log (``nuke -V 2 -X <CopyCat>``) as progress and failures.

Evidence and its limits: no captured terminal output of a real CopyCat training run was found in the
public material searched (Foundry docs, Deadline/Conductor integrations, issue trackers). What is
evidenced: the error lines a public Deadline CopyCat plugin treats as failures (``.*ERROR:.*``,
``.*Error:.*``, ``.*Error :.*``, ``Eddy[ERROR]``) and Nuke's render progress line
``Frame N (i of n)``; PyTorch's well-known distributed/CUDA messages (``CUDA out of memory``, NCCL and
Gloo errors, c10d socket timeouts); and, from that plugin's README, that in distributed mode CopyCat
logs the machine's rank and "that it is waiting for others to join" before training starts (wording
not quoted there, so matched loosely). Progress patterns for steps, loss and checkpoints are therefore
deliberately tolerant (``Step 1200/40000``, ``step 1200 of 40000``, ``loss: 0.012``, "saved
checkpoint ... .cat"); tests mark their sample lines as constructed. Unknown lines are ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, List, Optional

# Failure categories, most specific first: the first match names the failure.
_FAILURES = (
    ("cuda_out_of_memory", re.compile(
        r"CUDA out of memory|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation|"
        r"out of (?:GPU|device|video) memory|(?:GPU|CUDA).{0,40}\bout of memory", re.I)),
    ("licence", re.compile(
        r"\blicen[cs]e\b.{0,60}\b(?:fail|unavailable|not available|not found|denied|expired|"
        r"unable|could not|cannot|no )|no licen[cs]es? (?:available|found)|"
        r"\bRLM\b.{0,40}\b(?:error|fail)|FLEXlm|Foundry Licensing.{0,40}\b(?:error|fail)", re.I)),
    ("address_in_use", re.compile(r"address already in use|EADDRINUSE", re.I)),
    ("distributed_network", re.compile(
        r"\bNCCL\b.{0,40}\b(?:error|WARN|failure|timeout)|nccl(?:System|Internal|Unhandled\w*)Error|"
        r"\bgloo\b.{0,80}\b(?:error|fail|timed? ?out|refused|reset)|connectFullMesh|"
        r"\bc10d\b.{0,80}\b(?:error|fail|timed? ?out)|DistNetworkError|DistStoreError|"
        r"client socket has timed out|connection (?:refused|reset|timed out)|"
        r"failed to connect|no route to host|network is unreachable", re.I)),
    ("gpu_unavailable", re.compile(
        r"no CUDA-capable device|CUDA driver version is insufficient|"
        r"GPU (?:is )?not available|no (?:suitable )?GPU|CUDA error|cudaError\w*", re.I)),
    ("missing_file", re.compile(
        r"No such file or directory|cannot open|can't open|could not open|file not found|"
        r"unable to open", re.I)),
    # An exception class name such as RuntimeError (not Nuke's "ERROR:" or a bare "Error:").
    ("python_error", re.compile(r"^Traceback \(most recent call last\)|^[A-Z]\w*[a-z]Error: ")),
    # Case-sensitive on purpose, as in the Deadline CopyCat plugin's stdout handlers.
    ("nuke_error", re.compile(r"ERROR:|Error:|Error :|Eddy\[ERROR\]")),
)

_WARNING = re.compile(r"\bwarning\b", re.I)
_STEP = re.compile(
    r"\b(?:step|iteration|iter)s?\b\s*[:#=]?\s*(\d[\d,]*)\s*(?:/|of)\s*(\d[\d,]*)", re.I)
_STEP_ALONE = re.compile(r"\b(?:step|iteration)\b\s*[:#=]?\s*(\d[\d,]*)\b(?!\s*(?:/|of))", re.I)
_LOSS = re.compile(r"\bloss\b\s*[:=]?\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", re.I)
_FRAME = re.compile(r"Frame (\d+) \((\d+) of (\d+)\)")
_CAT_PATH = re.compile(r"([^\s'\"]+\.cat)\b")
_PNG_PATH = re.compile(r"([^\s'\"]+\.png)\b")
_CHECKPOINT = re.compile(
    r"(?:sav|writ|wrote|stor|export)\w*\b.{0,80}\b(?:checkpoint|\.cat\b)|checkpoint\b.{0,80}"
    r"\b(?:saved|written|stored|exported)", re.I)
_CONTACT_SHEET = re.compile(r"contact[ _-]?sheet", re.I)
_WAITING = re.compile(
    r"waiting for\b.{0,40}\b(?:processes|ranks|machines|workers|nodes|peers|others|to join)", re.I)
_FINISHED = re.compile(r"training (?:is )?(?:complete|completed|finished|done)|"
                       r"finished training", re.I)


def _int(text: str) -> int:
    return int(text.replace(",", ""))


@dataclass(frozen=True)
class LogEvent:
    line_no: int
    # progress | loss | checkpoint | contact_sheet | frame | waiting | finished | error | warning
    kind: str
    message: str
    category: Optional[str] = None
    step: Optional[int] = None
    total: Optional[int] = None
    loss: Optional[float] = None
    path: Optional[str] = None


def classify_failure(line: str) -> Optional[str]:
    for category, pattern in _FAILURES:
        if pattern.search(line):
            return category
    return None


def parse_line(line: str, line_no: int = 0) -> List[LogEvent]:
    """Every event one log line carries (often none)."""
    text = line.rstrip("\r\n")
    stripped = text.strip()
    if not stripped:
        return []
    events: List[LogEvent] = []
    category = classify_failure(stripped)
    if category:
        events.append(LogEvent(line_no, "error", stripped, category=category))
        return events
    if _WARNING.search(stripped):
        events.append(LogEvent(line_no, "warning", stripped))
    step = _STEP.search(stripped)
    if step:
        events.append(LogEvent(line_no, "progress", stripped, step=_int(step.group(1)),
                               total=_int(step.group(2))))
    else:
        alone = _STEP_ALONE.search(stripped)
        if alone:
            events.append(LogEvent(line_no, "progress", stripped, step=_int(alone.group(1))))
    loss = _LOSS.search(stripped)
    if loss:
        events.append(LogEvent(line_no, "loss", stripped, loss=float(loss.group(1))))
    frame = _FRAME.search(stripped)
    if frame:
        events.append(LogEvent(line_no, "frame", stripped, step=int(frame.group(2)),
                               total=int(frame.group(3))))
    if _CHECKPOINT.search(stripped):
        cat = _CAT_PATH.search(stripped)
        events.append(LogEvent(line_no, "checkpoint", stripped, path=cat.group(1) if cat else None))
    elif _CONTACT_SHEET.search(stripped) and _PNG_PATH.search(stripped):
        events.append(LogEvent(line_no, "contact_sheet", stripped,
                               path=_PNG_PATH.search(stripped).group(1)))
    if _WAITING.search(stripped):
        events.append(LogEvent(line_no, "waiting", stripped))
    if _FINISHED.search(stripped):
        events.append(LogEvent(line_no, "finished", stripped))
    return events


@dataclass
class LogSummary:
    step: Optional[int] = None
    total_steps: Optional[int] = None
    loss: Optional[float] = None
    frames_done: Optional[int] = None
    frames_total: Optional[int] = None
    checkpoints: List[str] = field(default_factory=list)
    errors: List[LogEvent] = field(default_factory=list)
    warnings: List[LogEvent] = field(default_factory=list)
    finished: bool = False
    # Distributed: the last word was "waiting for the other processes", with no training step since.
    waiting_for_peers: bool = False
    lines: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def progress(self) -> Optional[float]:
        """Fraction done (training steps, else rendered frames), None when unknown."""
        if self.step is not None and self.total_steps:
            return min(1.0, self.step / self.total_steps)
        if self.frames_done is not None and self.frames_total:
            return min(1.0, self.frames_done / self.frames_total)
        return 1.0 if self.finished else None

    @property
    def categories(self) -> List[str]:
        seen: List[str] = []
        for event in self.errors:
            if event.category not in seen:
                seen.append(event.category)
        return seen

    def headline(self) -> str:
        parts = []
        if self.step is not None:
            parts.append(f"step {self.step}" + (f"/{self.total_steps}" if self.total_steps else ""))
        if self.loss is not None:
            parts.append(f"loss {self.loss:g}")
        if self.frames_total:
            parts.append(f"frame {self.frames_done}/{self.frames_total}")
        if self.checkpoints:
            parts.append(f"{len(self.checkpoints)} checkpoint(s), last {self.checkpoints[-1]}")
        if self.waiting_for_peers:
            parts.append("waiting for the other processes to join")
        if self.finished:
            parts.append("finished")
        if self.errors:
            first = self.errors[0]
            parts.append(f"FAILED ({', '.join(self.categories)}) at line {first.line_no}: "
                         f"{first.message}")
        return "; ".join(parts) if parts else "no progress lines recognised"

    def to_dict(self) -> dict:
        return {
            "step": self.step, "total_steps": self.total_steps, "loss": self.loss,
            "frames_done": self.frames_done, "frames_total": self.frames_total,
            "progress": self.progress, "checkpoints": list(self.checkpoints),
            "finished": self.finished, "failed": self.failed, "categories": self.categories,
            "waiting_for_peers": self.waiting_for_peers,
            "errors": [{"line": e.line_no, "category": e.category, "message": e.message}
                       for e in self.errors],
            "warnings": len(self.warnings), "lines": self.lines,
        }


def parse_log(lines: Iterable[str]) -> LogSummary:
    summary = LogSummary()
    seen_errors = set()
    for number, line in enumerate(lines, start=1):
        summary.lines = number
        for event in parse_line(line, number):
            if event.kind == "waiting":
                summary.waiting_for_peers = True
            elif event.kind == "progress":
                summary.waiting_for_peers = False
                summary.step = event.step
                if event.total:
                    summary.total_steps = event.total
            elif event.kind == "loss":
                summary.loss = event.loss
            elif event.kind == "frame":
                summary.frames_done, summary.frames_total = event.step, event.total
            elif event.kind == "checkpoint":
                summary.checkpoints.append(event.path or f"line {number}")
            elif event.kind == "finished":
                summary.finished = True
            elif event.kind == "warning":
                summary.warnings.append(event)
            elif event.kind == "error":
                # The same message repeated by every retry is one failure, not fifty.
                key = (event.category, event.message)
                if key not in seen_errors:
                    seen_errors.add(key)
                    summary.errors.append(event)
    return summary
