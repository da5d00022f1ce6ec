"""Memory: softmax of a 1 GiB float32 array needs the input, the output and a few MB more
(no temporaries proportional to the input), measured as the peak resident set of a
fresh process."""

from __future__ import annotations

import subprocess
import sys

import pytest

GIB = 1 << 30
SLACK = 16 << 20  # a few MB: the kernels' stack scratch, the thread pool, the allocator

PROGRAM = """
import resource, sys
import numpy as np
import pysoftmax

rows, n = int(sys.argv[1]), int(sys.argv[2])
x = np.empty(rows * n, dtype=np.float32)
x[0::2] = 1.5  # in place: no temporary
x[1::2] = -2.0
x = x.reshape(rows, n)
pysoftmax.softmax(np.zeros((2, 3), dtype=np.float32))  # imports and the pool, before measuring
with open("/proc/self/status") as status:
    before = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
y = pysoftmax.softmax(x, threads=2)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
assert abs(float(y[0].sum()) - 1.0) < 1e-3
print(before * 1024, peak * 1024)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("shape", [(1 << 18, 1024), (1, 1 << 28)])
def test_softmax_of_a_gibibyte_needs_only_its_output_more(shape):
    rows, n = shape
    assert rows * n * 4 == GIB
    completed = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(rows), str(n)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    before, peak = map(int, completed.stdout.split())
    assert before >= GIB  # the input is resident
    assert peak - before <= GIB + SLACK, f"peak {peak / 2**20:.0f} MiB, before {before / 2**20:.0f}"
