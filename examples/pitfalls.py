"""The softmax pitfalls, each shown the naive way and with pysoftmax.

Run it with ``python examples/pitfalls.py``.  Every claim it prints is also
checked with an ``assert``, so the script fails if the library regresses.
"""

from __future__ import annotations

import numpy as np

import pysoftmax

np.set_printoptions(precision=4, linewidth=100)


def naive_softmax(x: np.ndarray) -> np.ndarray:
    """The textbook formula, exp(x) / sum(exp(x)), without the max shift."""
    with np.errstate(all="ignore"):  # it overflows: let it, quietly, to show the result
        e = np.exp(x)
        return e / e.sum()


def shifted_softmax(x: np.ndarray) -> np.ndarray:
    """The max-shift trick in plain numpy."""
    e = np.exp(x - x.max())
    return e / e.sum()


def heading(text: str) -> None:
    print(f"\n{text}\n{'-' * len(text)}")


heading("1. Overflow: exp(10000) is inf, and inf / inf is NaN")
x = np.array([10.0, 2.0, 10000.0, 4.0])
naive = naive_softmax(x)
ours = pysoftmax.softmax(x)
print(f"x                  = {x}")
print(f"naive exp(x)/sum   = {naive}")
print(f"pysoftmax.softmax  = {ours}")
assert np.isnan(naive).any()
assert ours.tolist() == [0.0, 0.0, 1.0, 0.0]

heading("2. The max-shift trick: softmax(x) == softmax(x - max(x)), and exp(x - max) <= 1")
x = np.array([10.0, 2.0, 40.0, 4.0])
ours = pysoftmax.softmax(x)
print(f"x                  = {x}")
print(f"naive              = {naive_softmax(x)}")
print(f"shifted (numpy)    = {shifted_softmax(x)}")
print(f"pysoftmax.softmax  = {ours}")
np.testing.assert_allclose(ours, [9.36e-14, 3.14e-17, 1.0, 2.32e-16], rtol=3e-3)
print(f"softmax(x + 1e6)   = {pysoftmax.softmax(x + 1e6)}   (the shift changes nothing)")

heading("3. log-softmax through log-sum-exp, not log(softmax)")
x = np.array([0.0, -30.0, -40.0], dtype=np.float32)
with np.errstate(divide="ignore"):
    naive_log = np.log(shifted_softmax(x))
ours_log = pysoftmax.log_softmax(x)
print(f"x (float32)              = {x}")
print(f"log(softmax(x))          = {naive_log}   <- the largest entry lost every digit")
print(f"pysoftmax.log_softmax(x) = {ours_log}")
assert naive_log[0] == 0.0 and ours_log[0] != 0.0
x = np.array([0.0, -1000.0])
with np.errstate(divide="ignore"):
    naive_log = np.log(shifted_softmax(x))
ours_log = pysoftmax.log_softmax(x)
print(f"x                        = {x}")
print(f"log(softmax(x))          = {naive_log}   <- exp(-1000) underflowed to 0")
print(f"pysoftmax.log_softmax(x) = {ours_log}")
assert naive_log[1] == -np.inf and ours_log[1] == -1000.0
print(
    f"pysoftmax.logsumexp([1000, 1000]) = {float(pysoftmax.logsumexp([1000.0, 1000.0])):.15f}"
    "   (= 1000 + log 2; naive log(sum(exp)) gives inf)"
)

heading('4. Temperature: "The boy ___ to the market"')
words = ["goes", "go", "went", "comes"]
logits = np.array([38.0, 20.0, 40.0, 39.0])
print(f"logits {dict(zip(words, logits.tolist(), strict=True))}")
for temperature in (0.001, 1.0, 100.0):
    probabilities = pysoftmax.softmax(logits, temperature=temperature)
    shown = "  ".join(f"{w}={p:.4f}" for w, p in zip(words, probabilities, strict=True))
    print(f"T = {temperature:<6g} {shown}")
sharp = pysoftmax.softmax(logits, temperature=0.001)
flat = pysoftmax.softmax(logits, temperature=100.0)
assert sharp[2] == 1.0  # T -> 0 sharpens to the argmax ("went")
assert flat.max() - flat.min() < 0.05  # T -> inf flattens towards uniform
print(f"T = 0      {pysoftmax.softmax(logits, temperature=0.0)}   (the limit: argmax)")
print(f"T = inf    {pysoftmax.softmax(logits, temperature=np.inf)}   (the limit: uniform)")
print("\nAll pitfalls handled.")
