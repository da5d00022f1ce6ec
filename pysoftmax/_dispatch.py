"""The backend registry, and the choice of a backend for an array."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

# In order of preference: the first that is available and takes an array wins.
_BACKEND_MODULES = {
    "c": "pysoftmax._backends.c",
    "array_api": "pysoftmax._backends.array_api",
}


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


def _module(name: str) -> ModuleType:
    return importlib.import_module(_BACKEND_MODULES[name])


def backends() -> list[BackendInfo]:
    """List the backends, in order of preference, and whether each is available.

    Returns
    -------
    list of BackendInfo
        One entry per backend, with its name, availability and the reason.

    Examples
    --------
    >>> import pysoftmax
    >>> [b.name for b in pysoftmax.backends()]
    ['c', 'array_api']
    >>> pysoftmax.backends()[0].available
    True
    """
    infos = []
    for name in _BACKEND_MODULES:
        module = _module(name)
        available, reason = module.availability()
        infos.append(BackendInfo(name, available, reason, module.DESCRIPTION))
    return infos


def select(x: Any, name: str | None) -> ModuleType:
    """Return the backend module for ``x``: the one named, or the first that takes it.

    Raises
    ------
    ValueError
        For an unknown or unavailable backend name.
    TypeError
        When no backend (or not the one named) can take ``x``; the message
        gives each backend's reason.  Never a silent conversion.
    """
    if name is not None and (not isinstance(name, str) or name not in _BACKEND_MODULES):
        known = ", ".join(repr(n) for n in _BACKEND_MODULES)
        raise ValueError(f"backend must be one of {known} or None, got {name!r}")
    reasons = []
    for candidate in _BACKEND_MODULES if name is None else (name,):
        module = _module(candidate)
        available, why_unavailable = module.availability()
        if not available:
            if name is not None:
                raise ValueError(f"backend {name!r} is not available: {why_unavailable}")
            reasons.append(f"{candidate!r}: not available ({why_unavailable})")
            continue
        refusal = module.refuses(x)
        if refusal is None:
            return module
        reasons.append(f"{candidate!r}: {refusal}")
    kind = f"{type(x).__module__}.{type(x).__name__}"
    subject = f"backend {name!r} cannot take" if name is not None else "no pysoftmax backend takes"
    raise TypeError(f"{subject} {kind} arrays; " + "; ".join(reasons))
