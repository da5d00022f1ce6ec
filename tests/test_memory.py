"""Memory: softmax of a 1 GiB float32 array needs the input, the output and a few MB more
(no temporaries proportional to the input), and in place (``out=x``) the input and a few MB,
measured as the peak resident set of a fresh process."""

from __future__ import annotations

import subprocess
import sys

import pytest

GIB = 1 << 30
SLACK = 16 << 20  # a few MB: the kernels' stack scratch, the thread pool, the allocator

PROGRAM = """
import sys
import numpy as np
import pysoftmax

rows, n, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
x = np.empty(rows * n, dtype=np.float32)
x[0::2] = 1.5  # in place: no temporary
x[1::2] = -2.0
x = x.reshape(rows, n)
pysoftmax.softmax(np.zeros((2, 3), dtype=np.float32))  # imports and the pool, before measuring
if mode == "in-place-torch":
    import torch

    pysoftmax.softmax(torch.zeros((2, 3)), out=torch.zeros((2, 3)))
with open("/proc/self/status") as status:
    fields = dict(line.split(":", 1) for line in status)
# resident now, and the highest it has been so far (transients before the call do not count)
before = max(int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0]))
if mode == "new":
    y = pysoftmax.softmax(x, threads=2)
elif mode == "in-place":
    y = pysoftmax.softmax(x, out=x, threads=2)
elif mode == "in-place-masked":  # a mask per column, broadcast: no copy of it either
    y = pysoftmax.log_softmax(x, where=np.arange(n) % 3 != 0, out=x, threads=2)
    y = np.exp(y, out=y)
elif mode == "in-place-torch":
    t = torch.from_numpy(x)
    y = pysoftmax.softmax(t, out=t, threads=2).numpy()
# The peak from the process's own memory map (VmHWM, KiB): getrusage's ru_maxrss is not that,
# it keeps the high-water mark from before exec, i.e. the forking test runner's whole size
# (a full test session's runner of 1.9 GiB read as this call's peak).
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
assert abs(float(y[0].sum()) - 1.0) < 1e-3
print(before * 1024, peak * 1024)
"""


def _peak_above(rows: int, n: int, mode: str) -> tuple[int, int]:
    """Run PROGRAM in a fresh process: (resident before the call, peak) in bytes."""
    completed = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(rows), str(n), mode],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    before, peak = map(int, completed.stdout.split())
    assert before >= GIB  # the input is resident
    return before, peak


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("shape", [(1 << 18, 1024), (1, 1 << 28)])
def test_softmax_of_a_gibibyte_needs_only_its_output_more(shape):
    rows, n = shape
    assert rows * n * 4 == GIB
    before, peak = _peak_above(rows, n, "new")
    assert peak - before <= GIB + SLACK, f"peak {peak / 2**20:.0f} MiB, before {before / 2**20:.0f}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("mode", ["in-place", "in-place-masked", "in-place-torch"])
def test_in_place_softmax_of_a_gibibyte_needs_a_few_mb(mode):
    # out=x: no second GiB (issue 8's bar: within a few MB of the input)
    pytest.importorskip("torch") if mode == "in-place-torch" else None
    before, peak = _peak_above(1 << 18, 1024, mode)
    assert peak - before <= SLACK, f"peak {peak / 2**20:.0f} MiB, before {before / 2**20:.0f}"
