"""The log parser on captured-looking lines.

CONSTRUCTED LINES: no real terminal output of a CopyCat training run was found in public sources, so
the progress/loss/checkpoint lines below are constructed in plausible shapes. The failure lines use
the exact wording of well-known messages (PyTorch's CUDA OOM, NCCL, Gloo, c10d; Nuke's ``Frame N (i of
n)`` progress and ``ERROR:`` lines as matched by a public Deadline CopyCat plugin); their surrounding
text is constructed too.
"""
from __future__ import annotations

import pytest

from nuke_restore.farm import parse_line, parse_log
from nuke_restore.farm.logparse import classify_failure

CONSTRUCTED_TRAINING_LOG = """\
Loading script /mnt/show/farm/SH010/SH010_chroma_train.nk
CopyCat_chroma: Step 100/40000 loss: 0.08412
CopyCat_chroma: Step 200/40000 loss: 0.05120
Saved contact sheet /mnt/show/training/SH010_chroma/ContactSheet_200.png
CopyCat_chroma: step 10000 of 40000, Loss = 1.2e-02
Saving checkpoint /mnt/show/training/SH010_chroma/Training_10000.cat
Warning: the preview input is not connected
CopyCat_chroma: Step 40000/40000 loss: 0.00731
Checkpoint written: /mnt/show/training/SH010_chroma/Training_40000.cat
Training complete.
"""


def test_training_progress_and_checkpoints():
    summary = parse_log(CONSTRUCTED_TRAINING_LOG.splitlines())
    assert summary.step == 40000 and summary.total_steps == 40000
    assert summary.loss == pytest.approx(0.00731)
    assert summary.checkpoints == ["/mnt/show/training/SH010_chroma/Training_10000.cat",
                                   "/mnt/show/training/SH010_chroma/Training_40000.cat"]
    assert summary.finished and not summary.failed
    assert summary.progress == 1.0
    assert len(summary.warnings) == 1
    assert "step 40000/40000" in summary.headline()


def test_partial_progress():
    summary = parse_log(CONSTRUCTED_TRAINING_LOG.splitlines()[:5])
    assert summary.step == 10000 and summary.progress == pytest.approx(0.25)
    assert summary.loss == pytest.approx(0.012)
    assert not summary.finished


@pytest.mark.parametrize("line, category", [
    ("RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total "
     "capacity; 5.10 GiB already allocated)", "cuda_out_of_memory"),
    ("CopyCat: GPU ran out of memory during training", "cuda_out_of_memory"),
    ("Foundry Licensing: no licenses available for nukex_i", "licence"),
    ("Error: NukeX license checkout failed", "licence"),
    ("RLM error: license server does not support this product", "licence"),
    ("RuntimeError: NCCL error in: ../torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp:1269, "
     "unhandled system error", "distributed_network"),
    ("RuntimeError: [../third_party/gloo/gloo/transport/tcp/pair.cc:799] connect "
     "[10.0.0.5]:30123: Connection refused", "distributed_network"),
    ("RuntimeError: Gloo connectFullMesh failed with ...", "distributed_network"),
    ("[W socket.cpp:663] [c10d] The client socket has timed out after 1800s while trying to "
     "connect to (10.0.0.5, 30123).", "distributed_network"),
    ("torch.distributed.DistNetworkError: The server socket has failed to listen on any local "
     "network address.", "distributed_network"),
    ("RuntimeError: Address already in use", "address_in_use"),
    ("RuntimeError: No CUDA-capable device is detected", "gpu_unavailable"),
    ("Read error: /mnt/show/plates/SH010.1001.exr: No such file or directory", "missing_file"),
    ("Traceback (most recent call last):", "python_error"),
    ("ERROR: CopyCat_chroma: Input and Ground Truth must be connected", "nuke_error"),
    ("Eddy[ERROR] - failed to compile kernel", "nuke_error"),
])
def test_failures_are_classified(line, category):
    assert classify_failure(line) == category
    events = parse_line(line, 7)
    assert events[0].kind == "error" and events[0].category == category
    assert events[0].line_no == 7


@pytest.mark.parametrize("line", [
    "CopyCat_chroma: Step 100/40000 loss: 0.08412",
    "Loading script /mnt/show/farm/SH010/SH010_chroma_train.nk",
    "error rate estimate is computed later",  # lower-case 'error' alone is not a failure
    "",
])
def test_ordinary_lines_are_not_failures(line):
    assert classify_failure(line) is None


def test_render_frame_progress():
    # Nuke's render progress line, as matched by the Deadline CopyCat plugin's handler.
    summary = parse_log(["Writing /mnt/out/a.1001.exr", "Frame 1001 (1 of 40)",
                         "Frame 1002 (2 of 40)"])
    assert (summary.frames_done, summary.frames_total) == (2, 40)
    assert summary.progress == pytest.approx(0.05)


def test_repeated_errors_are_reported_once_and_in_order():
    lines = ["Step 5/100 loss 0.3"] + ["RuntimeError: CUDA out of memory. Tried to allocate"] * 3 + [
        "Foundry Licensing: no licenses available"]
    summary = parse_log(lines)
    assert summary.failed
    assert summary.categories == ["cuda_out_of_memory", "licence"]
    assert [e.line_no for e in summary.errors] == [2, 5]
    assert "FAILED (cuda_out_of_memory, licence) at line 2" in summary.headline()
    data = summary.to_dict()
    assert data["failed"] and data["step"] == 5 and data["total_steps"] == 100


def test_unknown_output_gives_no_progress():
    summary = parse_log(["Nuke 15.0v4, 64 bit, built Mar 12 2024.", "Copyright (c) The Foundry"])
    assert summary.progress is None and not summary.failed
    assert summary.headline() == "no progress lines recognised"


def test_waiting_for_other_ranks():
    # CONSTRUCTED lines: the Deadline CopyCat plugin's README says CopyCat logs its rank and that it
    # is waiting for the others to join; the exact wording is unknown.
    waiting = parse_log(["CopyCat: rank 1 of 4, waiting for other processes to join..."])
    assert waiting.waiting_for_peers and "waiting for the other processes" in waiting.headline()
    started = parse_log(["CopyCat: rank 1 of 4, waiting for other processes to join...",
                         "CopyCat_chroma: Step 1/40000 loss: 0.3"])
    assert not started.waiting_for_peers and started.step == 1
