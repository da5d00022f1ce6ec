"""The backend registry, and the choice of a backend for an array.

A backend is a module with ``NAME``, ``DESCRIPTION``, ``availability()``,
``refuses(x)`` and ``softmax``, ``log_softmax``, ``logsumexp`` (see
``pysoftmax/_backends/__init__.py``).  The built-in ones are listed below in
order of preference; third-party packages add theirs through the entry-point
group ``pysoftmax.backends`` (name = backend name, value = module path).

The backend for a call is, in order: ``backend=``, the innermost
:func:`use_backend`, the ``PYSOFTMAX_BACKEND`` environment variable, else the
first available backend that takes the array.  A backend chosen by name that
cannot take the array is a ``TypeError``: never a silent conversion.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import importlib.metadata
import os
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

ENTRY_POINT_GROUP = "pysoftmax.backends"
ENVIRONMENT_VARIABLE = "PYSOFTMAX_BACKEND"

# In order of preference: the first that is available and takes an array wins.
_BUILTIN_BACKENDS = {
    "c": "pysoftmax._backends.c",
    "torch": "pysoftmax._backends.torch",
    "jax": "pysoftmax._backends.jax",
    "cupy": "pysoftmax._backends.cupy",
    "dask": "pysoftmax._backends.dask",
    "array_api": "pysoftmax._backends.array_api",
}

_default_backend: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pysoftmax_default_backend", default=None
)


@dataclass(frozen=True)
class BackendInfo:
    """What :func:`pysoftmax.backends` reports for one backend.

    Attributes
    ----------
    name : str
        The name that ``backend=`` takes.
    available : bool
        Whether the backend can run on this machine.
    reason : str
        Why it is or is not available.
    description : str
        Which arrays it takes and how it computes.
    """

    name: str
    available: bool
    reason: str
    description: str


@functools.cache
def _registry() -> dict[str, str]:
    """Backend name -> module path: the built-in ones, then the plugins' (read once)."""
    registry = dict(_BUILTIN_BACKENDS)
    plugins = sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda entry: entry.name
    )
    plugin_modules = {p.name: p.value for p in plugins if p.name not in _BUILTIN_BACKENDS}
    # Plugins come before the generic fallback, which takes any array-API array.
    fallback = registry.pop("array_api")
    return {**registry, **plugin_modules, "array_api": fallback}


@functools.cache  # every call goes through select(): import and check each module once
def _load(name: str, path: str) -> tuple[ModuleType | None, str]:
    """Import the backend module; return it, or None and why it cannot be loaded."""
    try:
        module = importlib.import_module(path)
    except ImportError as error:
        return None, f"cannot import {path}: {error}"
    missing = [
        attribute
        for attribute in (
            "DESCRIPTION",
            "availability",
            "refuses",
            "softmax",
            "log_softmax",
            "logsumexp",
        )
        if not hasattr(module, attribute)
    ]
    if missing:
        return None, f"{path} is not a pysoftmax backend (it lacks {', '.join(missing)})"
    return module, ""


def backends() -> list[BackendInfo]:
    """List the backends, in order of preference, and whether each is available.

    Returns
    -------
    list of BackendInfo
        One entry per backend (built-in and plugins), with its name,
        availability and the reason.

    Examples
    --------
    >>> import pysoftmax
    >>> [b.name for b in pysoftmax.backends()][0], [b.name for b in pysoftmax.backends()][-1]
    ('c', 'array_api')
    >>> pysoftmax.backends()[0].available
    True
    """
    infos = []
    for name, path in _registry().items():
        module, problem = _load(name, path)
        if module is None:
            infos.append(BackendInfo(name, False, problem, ""))
            continue
        available, reason = module.availability()
        infos.append(BackendInfo(name, available, reason, module.DESCRIPTION))
    return infos


def _check_name(name: Any, registry: dict[str, str], source: str) -> str:
    if not isinstance(name, str) or name not in registry:
        known = ", ".join(repr(n) for n in registry)
        raise ValueError(f"{source} must be one of {known} or None, got {name!r}")
    return name


@contextlib.contextmanager
def use_backend(name: str | None) -> Iterator[None]:
    """Make ``name`` the default backend inside a ``with`` block.

    It applies to calls without ``backend=`` in this thread or task
    (a :mod:`contextvars` variable), and takes precedence over the
    ``PYSOFTMAX_BACKEND`` environment variable; ``None`` restores the
    automatic choice.

    Parameters
    ----------
    name : str or None
        A backend name from :func:`pysoftmax.backends`.

    Raises
    ------
    ValueError
        For an unknown backend name.

    Examples
    --------
    >>> import numpy as np
    >>> import pysoftmax
    >>> with pysoftmax.use_backend("array_api"):
    ...     pysoftmax.softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    if name is not None:
        _check_name(name, _registry(), "use_backend's name")
    token = _default_backend.set(name)
    try:
        yield
    finally:
        _default_backend.reset(token)


def select(x: Any, name: str | None) -> ModuleType:
    """Return the backend module for ``x``: the one named, or the first that takes it.

    Raises
    ------
    ValueError
        For an unknown or unavailable backend name.
    TypeError
        When no backend (or not the one named) can take ``x``; the message
        gives each backend's reason.
    """
    registry = _registry()
    chosen_by = "backend="
    if name is not None:
        name = _check_name(name, registry, "backend")
    elif _default_backend.get() is not None:
        name = _default_backend.get()
        chosen_by = "use_backend()"
    elif os.environ.get(ENVIRONMENT_VARIABLE):
        name = _check_name(os.environ[ENVIRONMENT_VARIABLE], registry, ENVIRONMENT_VARIABLE)
        chosen_by = f"the environment variable {ENVIRONMENT_VARIABLE}"
    reasons = []
    for candidate in registry if name is None else (name,):
        module, problem = _load(candidate, registry[candidate])
        if module is not None:
            available, problem = module.availability()
            if available:
                refusal = module.refuses(x)
                if refusal is None:
                    return module
                reasons.append(f"{candidate!r}: {refusal}")
                continue
        if name is not None:
            raise ValueError(f"backend {name!r} (from {chosen_by}) is not available: {problem}")
        reasons.append(f"{candidate!r}: not available ({problem})")
    kind = f"{type(x).__module__}.{type(x).__name__}"
    subject = (
        f"backend {name!r} (from {chosen_by}) cannot take"
        if name is not None
        else "no pysoftmax backend takes"
    )
    raise TypeError(f"{subject} {kind} arrays; " + "; ".join(reasons))
