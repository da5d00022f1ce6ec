"""pysoftmax: accurate softmax, log-softmax and logsumexp for any array library.

Every output is within 2 ULP of the exact result, for float32 and float64,
with or without a temperature; special values follow one documented table.
Numpy arrays are computed by a portable C99 core (also usable from C and any
language with an FFI); any other array-API array by the same algorithm
written in array operations.
"""

from importlib.metadata import version as _version

from ._api import log_softmax, logsumexp, softmax
from ._dispatch import BackendInfo, backends, use_backend
from ._sampling import sample

__version__ = _version("pysoftmax")  # set by setup.py from the C header's PSM_VERSION_*

__all__ = [
    "BackendInfo",
    "__version__",
    "backends",
    "log_softmax",
    "logsumexp",
    "sample",
    "softmax",
    "use_backend",
]
