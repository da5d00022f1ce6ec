"""A minimal third-party backend: the C core, recording each call.

Installed by tests/test_dispatch.py to check that pysoftmax finds backends
through the ``pysoftmax.backends`` entry-point group.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pysoftmax._backends import c

NAME = "recorder"
DESCRIPTION = "numpy arrays, through the C core, recording each call (a test plugin)"
CALLS: list[str] = []


def availability() -> tuple[bool, str]:
    return True, "always"


def refuses(x: Any) -> str | None:
    return None if isinstance(x, np.ndarray) else "it takes numpy arrays only"


def softmax(request: Any) -> Any:
    CALLS.append("softmax")
    return c.softmax(request)


def log_softmax(request: Any) -> Any:
    CALLS.append("log_softmax")
    return c.log_softmax(request)


def logsumexp(request: Any) -> Any:
    CALLS.append("logsumexp")
    return c.logsumexp(request)
