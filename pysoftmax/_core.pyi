# The cffi extension compiled from csrc/ by pysoftmax/_ffi_build.py.
from typing import Any

ffi: Any
lib: Any
