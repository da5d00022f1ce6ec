"""The backends the suite runs on, each with the array library its inputs are made in.

One entry per pysoftmax backend (and per extra library a backend is tested
with).  An entry whose library is not installed is skipped with the reason;
an installed one whose backend fails is a failure.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TestedBackend:
    """A pysoftmax backend and the library whose arrays it is given."""

    id: str
    backend: str
    library: str  # the module that makes the input arrays
    chunks_per_axis: int | None = None  # dask: split every axis in this many chunks
    device: str | None = None  # torch: where the input tensors are made ("cuda")

    def module(self) -> Any:
        """The array library, or raise ImportError."""
        module = importlib.import_module(self.library)
        if self.library == "jax.numpy":  # float64 inputs need JAX's 64-bit mode
            import jax

            jax.config.update("jax_enable_x64", True)
        return module

    def asarray(self, values: Any, dtype: Any = np.float64) -> Any:
        """``values`` as an array of this library, of numpy dtype ``dtype``."""
        array = np.asarray(values, dtype=dtype)
        module = self.module()
        if self.chunks_per_axis is not None:
            chunks = tuple(max(1, -(-d // self.chunks_per_axis)) for d in array.shape)
            return module.from_array(array, chunks=chunks)
        if self.device is not None:
            return module.asarray(array, device=self.device)
        return array if module is np else module.asarray(array)

    def asarray_exact(self, values: np.ndarray) -> Any:
        """A numpy array as an array of this library, with its own dtype."""
        return self.asarray(values, values.dtype)

    @staticmethod
    def to_numpy(array: Any) -> np.ndarray:
        """A result back in numpy (zero-copy where the library allows)."""
        if isinstance(array, np.ndarray | np.generic):
            return np.asarray(array)
        if hasattr(array, "compute"):  # dask: this is where the graph runs
            return np.asarray(array.compute())
        if hasattr(array, "get"):  # cupy: a copy from the GPU
            return np.asarray(array.get())
        if hasattr(array, "cpu"):  # torch, on any device
            array = array.detach().cpu()
        return np.from_dlpack(array)

    def takes(self, dtype: Any) -> bool:
        """Whether this library makes arrays of ``dtype`` (array-api-strict has no float16;
        bfloat16 is ml_dtypes' numpy dtype, which only numpy arrays hold)."""
        name = np.dtype(dtype).name
        if name == "float16":
            return self.library != "array_api_strict"
        if name == "bfloat16":
            return self.library == "numpy"
        return True

    def missing(self) -> str | None:
        """Why this entry cannot run here, or None."""
        try:
            module = self.module()
        except ImportError as error:
            return f"{self.library} is not installed ({error})"
        if self.device == "cuda" and not module.cuda.is_available():
            return "no CUDA device on this machine"
        if self.library == "cupy":
            try:
                module.cuda.runtime.getDeviceCount()
            except Exception as error:  # CuPy raises its own CUDA errors without a GPU
                return f"cupy cannot reach a GPU ({error})"
        import pysoftmax

        for info in pysoftmax.backends():
            if info.name == self.backend:
                return None if info.available else info.reason
        return f"pysoftmax has no backend {self.backend!r}"


TESTED_BACKENDS = (
    TestedBackend("c", "c", "numpy"),
    TestedBackend("array_api-strict", "array_api", "array_api_strict"),
    TestedBackend("array_api-numpy", "array_api", "numpy"),
    TestedBackend("array_api-torch", "array_api", "torch"),
    TestedBackend("torch", "torch", "torch"),
    TestedBackend("torch-cuda", "torch", "torch", device="cuda"),
    TestedBackend("cupy", "cupy", "cupy"),
    TestedBackend("array_api-cupy", "array_api", "cupy"),
    TestedBackend("jax", "jax", "jax.numpy"),
    TestedBackend("dask", "dask", "dask.array"),
    TestedBackend("dask-chunked", "dask", "dask.array", chunks_per_axis=3),
)
