"""The torch backend: torch tensors, on their own device, differentiable.

CPU tensors go to the C core without a copy: the tensor is viewed as a numpy
array (``Tensor.numpy()`` shares its memory), computed by the C backend
(which copies only when the reduced axes are not the trailing axes of a
C-contiguous array) and the result is wrapped back with ``torch.from_numpy``
(shared too); ``threads=`` applies there as it does to numpy arrays.
Tensors on any other device (CUDA, ...) are computed there, with torch
operations, by the generic backend's method
(:mod:`pysoftmax._backends.array_api`); no data moves between devices.

When the input requires a gradient (and grad mode is on) the result is the
output of a :class:`torch.autograd.Function` whose forward pass is the
computation above and whose backward pass is the vector-Jacobian product of
softmax, log-softmax or logsumexp with the finite-gradient rule of
:mod:`pysoftmax._backends._backward` (entries whose probability is 0 get a
gradient of exactly 0, whatever the upstream gradient holds there): on the
CPU by the C core's fused backward kernels, elsewhere, and whenever the
gradient's own graph is built (``create_graph=True``), with torch
operations, which are differentiable.  At temperature 0 or infinity the
functions are locally constant: the gradient is 0.

torch is imported only when a torch tensor is met (or the backend is asked
for explicitly), so this module imports without it.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

import array_api_compat

from .._request import Request
from . import _backward as _backward_rules
from . import array_api, c

if TYPE_CHECKING:
    import torch

NAME = "torch"
# Masks and per-row temperatures on every device; out= written in place on the CPU.
FEATURES = frozenset({"where", "temperature_array", "out"})
DESCRIPTION = (
    "torch tensors: on the CPU through the C core (zero-copy), on other devices with torch "
    "operations (the C core's algorithm); differentiable"
)


def availability() -> tuple[bool, str]:
    """Return whether torch is installed, and its version.

    torch is not imported here when it has not been imported yet (only
    looked for): a torch tensor cannot exist before it is.
    """
    module = sys.modules.get("torch")
    if module is not None:
        return True, f"torch {module.__version__}"
    if importlib.util.find_spec("torch") is None:
        return False, "torch is not installed"
    return True, "torch is installed (not imported yet)"


def refuses(x: Any) -> str | None:
    """Return why this backend cannot take ``x``, or None: it takes dense torch tensors.

    A tensor on a device without float64 (MPS, ...) is refused: the
    computation off the CPU is in float64.
    """
    module = sys.modules.get("torch")  # no torch imported: x cannot be a tensor
    if module is None or not isinstance(x, module.Tensor):
        return "it takes torch tensors only"
    if x.layout != module.strided:
        return f"it takes dense (strided) tensors only, not {x.layout}"
    if x.device.type != "cpu":
        return array_api.refuses(x)
    return None


# ---- the forward computation ---------------------------------------------------------------


def _uses_c_core(x: torch.Tensor) -> bool:
    """Whether ``x`` is computed by the C core (a CPU tensor, the core built)."""
    return x.device.type == "cpu" and c.availability()[0]


def _on_cpu(function: str, x: torch.Tensor, request: Request) -> torch.Tensor:
    """Run the C core on the tensor's own memory; the result shares the C core's output."""
    import numpy as np
    import torch

    def host(tensor: Any) -> Any:
        # A view of the tensor (real and bool dtypes: no conj or neg bit).
        return tensor if tensor is None else tensor.detach().numpy()

    temperature = request.temperature
    result = getattr(c, function)(
        Request(
            x=host(x),
            xp=np,
            axes=request.axes,
            temperature=host(temperature) if request.per_row_temperature else temperature,
            threads=request.threads,
            where=host(request.where),
            out=host(request.out),
        )
    )
    if request.out is not None and np.shares_memory(result, request.out.numpy()):
        written: torch.Tensor = request.out  # in place: the front door finds its own tensor
        return written
    return torch.from_numpy(result)


def _on_device(function: str, x: torch.Tensor, request: Request) -> torch.Tensor:
    """Run the generic backend's method in torch operations, on the tensor's device."""
    from .. import _side_inputs

    x = x.detach()
    xp = array_api_compat.array_namespace(x)
    if request.where is not None:
        x = _side_inputs.masked_input(x, xp, request.where)
    result: torch.Tensor = getattr(array_api, function)(
        Request(x=x, xp=xp, axes=request.axes, temperature=request.temperature)
    )
    if request.where is not None and function != "logsumexp":
        result = _side_inputs.fill_empty_rows(
            result, xp, request.where, request.axes, log_output=function == "log_softmax"
        )
    # Computed in float64: rounded once, here, so the output has x's dtype.
    return result.to(x.dtype)


def _forward(function: str, x: torch.Tensor, request: Request) -> torch.Tensor:
    """Compute ``function`` of ``x`` (no autograd), in ``x``'s dtype and on its device."""
    compute = _on_cpu if _uses_c_core(x) else _on_device
    return compute(function, x, request)


# ---- autograd ------------------------------------------------------------------------------


def _backward(
    function: str,
    axes: tuple[int, ...],
    temperature: float | torch.Tensor,
    threads: int,
    saved: tuple[torch.Tensor, ...],
    gradient: torch.Tensor,
    where: torch.Tensor | None = None,
) -> torch.Tensor:
    """Return the vector-Jacobian product, with the finite-gradient rule.

    ``saved`` is ``(y,)`` for softmax and log_softmax, ``(x, logsumexp(x))``
    for logsumexp (``gradient`` keeps the reduced axes, with size 1);
    ``temperature`` a float or one per row (rows at T = 0 or inf get 0).
    Masked entries (``where`` False) need nothing of their own: the forward
    pass gave them y = 0 (log_softmax: -inf), which the rule leaves out.  CPU
    tensors go to the C core's fused kernels, unless the graph of the
    gradient is being built (``create_graph=True``: grad mode is on here),
    which needs torch operations; those follow the same rule
    (:mod:`pysoftmax._backends._backward`).
    """
    import torch

    xp = array_api_compat.array_namespace(saved[0])
    if function == "logsumexp":
        x, value = saved
        # softmax(x) by this backend: differentiable again when the graph of
        # the gradient is being built.
        probabilities = _compute("softmax", Request(x=x, xp=xp, axes=axes, where=where))
        result: torch.Tensor = _backward_rules.logsumexp_vjp(probabilities, value, gradient, xp)
        return result
    (y,) = saved
    if _uses_c_core(y) and not torch.is_grad_enabled():
        array = _backward_rules.c_vjp(
            function,
            y.detach().numpy(),
            gradient.detach().numpy(),
            axes,
            temperature if isinstance(temperature, float) else temperature.detach().numpy(),
            threads,
        )
        return torch.from_numpy(array)
    # In float64, as the forward pass off the CPU is, and rounded once.
    wide = torch.float64
    dx: torch.Tensor = _backward_rules.vjp(
        function,
        y.to(wide),
        gradient.to(wide),
        axes,
        temperature if isinstance(temperature, float) else temperature.to(wide),
        xp,
    )
    return dx.to(y.dtype)


@functools.cache
def _autograd_function() -> Any:
    """Return the :class:`torch.autograd.Function` (defined on first use, importing torch)."""
    import torch

    class SoftmaxFunction(torch.autograd.Function):
        """softmax, log_softmax or logsumexp with its vector-Jacobian product."""

        @staticmethod
        def forward(
            ctx: Any,
            x: torch.Tensor,
            function: str,
            axes: tuple[int, ...],
            temperature: float | torch.Tensor,
            threads: int,
            where: torch.Tensor | None,
        ) -> torch.Tensor:
            xp = array_api_compat.array_namespace(x)
            request = Request(
                x=x, xp=xp, axes=axes, temperature=temperature, threads=threads, where=where
            )
            result = _forward(function, x, request)
            ctx.function, ctx.axes, ctx.temperature = function, axes, temperature
            ctx.threads, ctx.where = threads, where
            ctx.save_for_backward(*((x, result) if function == "logsumexp" else (result,)))
            return result

        @staticmethod
        def backward(ctx: Any, gradient: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            if not ctx.needs_input_grad[0]:
                return None, None, None, None, None, None
            vjp = _backward(
                ctx.function,
                ctx.axes,
                ctx.temperature,
                ctx.threads,
                ctx.saved_tensors,
                gradient,
                ctx.where,
            )
            return vjp, None, None, None, None, None

    return SoftmaxFunction


def _compute(function: str, request: Request) -> torch.Tensor:
    import torch

    x: torch.Tensor = request.x
    if x.requires_grad and torch.is_grad_enabled():
        result: torch.Tensor = _autograd_function().apply(
            x, function, request.axes, request.temperature, request.threads, request.where
        )
        return result
    return _forward(function, x, request)


def softmax(request: Request) -> torch.Tensor:
    """Softmax of ``request.x`` over ``request.axes``, differentiable."""
    return _compute("softmax", request)


def log_softmax(request: Request) -> torch.Tensor:
    """Log-softmax of ``request.x`` over ``request.axes``, differentiable."""
    return _compute("log_softmax", request)


def logsumexp(request: Request) -> torch.Tensor:
    """Logsumexp of ``request.x`` over ``request.axes``, keeping them (size 1), differentiable."""
    return _compute("logsumexp", request)
