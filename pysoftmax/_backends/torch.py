"""The torch backend: torch tensors, on their own device, differentiable.

CPU tensors go to the C core without a copy: the tensor is viewed as a numpy
array (``Tensor.numpy()`` shares its memory), computed by the C backend
(which copies only when the reduced axes are not the trailing axes of a
C-contiguous array) and the result is wrapped back with ``torch.from_numpy``
(shared too); ``threads=`` applies there as it does to numpy arrays.
float16 and bfloat16 tensors go to the C core's 16-bit entry points as they
are (:func:`computes_natively`; bfloat16 as its bits, ``c.BFLOAT16_BITS``):
no float32 copy of the input, the result in their dtype or in float32.
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
# Masks and per-row temperatures on every device; out= written in place on the CPU;
# logsumexp's weights (b=) on every device, differentiable in x and b.
FEATURES = frozenset({"where", "temperature_array", "out", "weights"})
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


def _is_16_bit(dtype: Any) -> bool:
    """Whether ``dtype`` is torch's float16 or bfloat16."""
    import torch

    return dtype in (torch.float16, torch.bfloat16)


def computes_natively(dtype: Any, result_dtype: Any) -> bool:
    """Whether float16 and bfloat16 tensors come as they are (see ``pysoftmax/_backends``).

    On the CPU they go to the C core's 16-bit entry points (``psm_*_f16``,
    ``psm_*_bf16``, and their ``_f32`` forms for a float32 result): no float32
    copy of the input.  On other devices the generic method computes them in
    float64 and rounds once, to ``result_dtype`` (x's own, or float32).
    """
    module = sys.modules.get("torch")
    return module is not None and _is_16_bit(dtype) and result_dtype in (dtype, module.float32)


def _host(tensor: Any) -> Any:
    """Return a numpy view of a CPU tensor (None stays None): the same memory, no copy.

    bfloat16 has no numpy dtype: its bits are viewed as ``c.BFLOAT16_BITS``,
    which the C backend reads as bfloat16.  A tensor with the negative bit set
    (a lazy negation, ``torch._neg_view``) is resolved first: that one is a copy.
    """
    import torch

    if tensor is None:
        return None
    tensor = tensor.detach().resolve_neg()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(c.BFLOAT16_BITS)
    return tensor.numpy()


def _from_host(array: Any) -> torch.Tensor:
    """Return the tensor that shares ``array``'s memory (``c.BFLOAT16_BITS``: bfloat16)."""
    import numpy as np
    import torch

    if array.dtype.metadata == c.BFLOAT16_BITS.metadata:  # (dtype == ignores the metadata)
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def _on_cpu(function: str, x: torch.Tensor, request: Request) -> torch.Tensor:
    """Run the C core on the tensor's own memory; the result shares the C core's output."""
    import numpy as np
    import torch

    temperature = request.temperature
    out = _host(request.out)
    result = getattr(c, function)(
        Request(
            x=_host(x),
            xp=np,
            axes=request.axes,
            temperature=_host(temperature) if request.per_row_temperature else temperature,
            threads=request.threads,
            where=_host(request.where),
            out=out,
            # A 16-bit x: the C core's 16-bit result, or its float32 one (the _f32 entry points).
            result_dtype=np.float32 if request.result_dtype == torch.float32 else None,
        )
    )
    if out is not None and np.shares_memory(result, out):
        written: torch.Tensor = request.out  # in place: the front door finds its own tensor
        return written
    return _from_host(result)


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
    # Computed in float64: rounded once, here, to x's dtype (or float32 for a 16-bit x).
    return result.to(request.result_dtype or x.dtype)


def _forward(function: str, x: torch.Tensor, request: Request) -> torch.Tensor:
    """Compute ``function`` of ``x`` (no autograd), on its device.

    The result has ``request.result_dtype`` where one is given (a 16-bit
    ``x``: its own dtype or float32), else ``x``'s dtype.
    """
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
    where: torch.Tensor | None,
    input_dtype: torch.dtype,
) -> torch.Tensor:
    """Return the vector-Jacobian product, with the finite-gradient rule, in ``input_dtype``.

    ``saved`` is ``(y,)`` for softmax and log_softmax, ``(x, logsumexp(x))``
    for logsumexp (``gradient`` keeps the reduced axes, with size 1); for a
    16-bit ``x``, ``y`` and ``logsumexp(x)`` are the float32 results, and the
    gradient is computed in float32 (or wider) and rounded to x's dtype;
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
        # softmax(x) by this backend (float32 for a 16-bit x): differentiable again when the
        # graph of the gradient is being built.
        wide = torch.float32 if _is_16_bit(x.dtype) else None
        probabilities = _compute(
            "softmax", Request(x=x, xp=xp, axes=axes, where=where, result_dtype=wide)
        )
        result: torch.Tensor = _backward_rules.logsumexp_vjp(probabilities, value, gradient, xp)
        return result.to(input_dtype)
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
        return torch.from_numpy(array).to(input_dtype)
    # In float64, as the forward pass off the CPU is, and rounded once.
    wide64 = torch.float64
    dx: torch.Tensor = _backward_rules.vjp(
        function,
        y.to(wide64),
        gradient.to(wide64),
        axes,
        temperature if isinstance(temperature, float) else temperature.to(wide64),
        xp,
    )
    return dx.to(input_dtype)


def _temperature_gradient(
    function: str, y: torch.Tensor, dx: torch.Tensor, axes: tuple[int, ...]
) -> torch.Tensor:
    """Return dL/dT per row, from the gradient in x: ``-sum(dx * log p)`` over the row.

    (:func:`pysoftmax._backends._backward.log_probabilities`; entries with p = 0 left out,
    rows at T = 0 or inf get 0: dx is 0 there.)
    """
    import torch

    wide = torch.float64 if y.dtype == torch.float64 else torch.float32
    y, dx = y.to(wide), dx.to(wide)
    log_p, included = _backward_rules.log_probabilities(function, y, torch)
    terms = torch.where(included, dx * log_p, torch.zeros_like(y))
    return -torch.sum(terms, dim=axes, keepdim=True)


@functools.cache
def _autograd_function() -> Any:
    """Return the :class:`torch.autograd.Function` (defined on first use, importing torch)."""
    import torch

    class SoftmaxFunction(torch.autograd.Function):
        """softmax, log_softmax or logsumexp with its vector-Jacobian product.

        A 16-bit ``x`` (float16, bfloat16) gives its float32 result, which
        the backward pass needs; the front door rounds it to x's dtype.
        """

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
                x=x,
                xp=xp,
                axes=axes,
                temperature=temperature,
                threads=threads,
                where=where,
                result_dtype=torch.float32 if _is_16_bit(x.dtype) else None,
            )
            result = _forward(function, x, request)
            ctx.function, ctx.axes, ctx.temperature = function, axes, temperature
            ctx.threads, ctx.where, ctx.input_dtype = threads, where, x.dtype
            ctx.save_for_backward(*((x, result) if function == "logsumexp" else (result,)))
            return result

        @staticmethod
        def backward(ctx: Any, gradient: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            wants_x, wants_temperature = ctx.needs_input_grad[0], ctx.needs_input_grad[3]
            if not (wants_x or wants_temperature):
                return None, None, None, None, None, None
            vjp = _backward(
                ctx.function,
                ctx.axes,
                ctx.temperature,
                ctx.threads,
                ctx.saved_tensors,
                gradient,
                ctx.where,
                ctx.input_dtype,
            )
            temperature_gradient = None
            if wants_temperature:
                (y,) = ctx.saved_tensors
                temperature_gradient = _temperature_gradient(ctx.function, y, vjp, ctx.axes)
            return (vjp if wants_x else None), None, None, temperature_gradient, None, None

    return SoftmaxFunction


def _compute(function: str, request: Request) -> torch.Tensor:
    import torch

    x: torch.Tensor = request.x
    records = x.requires_grad or getattr(request.temperature, "requires_grad", False)
    if records and torch.is_grad_enabled():
        result: torch.Tensor = _autograd_function().apply(
            x, function, request.axes, request.temperature, request.threads, request.where
        )
        return result
    return _forward(function, x, request)


# ---- weighted logsumexp (b=, return_sign=) -------------------------------------------------


def _weighted_forward(
    x: torch.Tensor, weights: torch.Tensor, axes: tuple[int, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(log|sum(b exp(x))|, sign)`` in x's dtype, the reduced axes kept (no autograd).

    CPU tensors: the C core (``psm_logsumexp_weighted_*``) on the tensors'
    own memory (broadcast weights read through their zero strides).  Other
    devices: the same method in torch operations, in float64
    (:func:`pysoftmax._backends.array_api.weighted_logsumexp`), rounded once.
    """
    import numpy as np
    import torch

    if _uses_c_core(x):
        value, sign = c.logsumexp(Request(x=_host(x), xp=np, axes=axes, weights=_host(weights)))
        return torch.from_numpy(value), torch.from_numpy(sign)
    xp = array_api_compat.array_namespace(x)
    value, sign = array_api.weighted_logsumexp(
        Request(x=x.detach(), xp=xp, axes=axes, weights=weights.detach())
    )
    return value.to(x.dtype), sign.to(x.dtype)


@functools.cache
def _weighted_autograd_function() -> Any:
    """Return the :class:`torch.autograd.Function` of weighted logsumexp (importing torch)."""
    import torch

    class WeightedLogsumexpFunction(torch.autograd.Function):
        """``(log|sum(b exp(x))|, sign)``, differentiable in x and b; the sign is not."""

        @staticmethod
        def forward(
            ctx: Any, x: torch.Tensor, weights: torch.Tensor, axes: tuple[int, ...]
        ) -> tuple[torch.Tensor, torch.Tensor]:
            value, sign = _weighted_forward(x, weights, axes)
            ctx.mark_non_differentiable(sign)
            ctx.axes = axes
            ctx.save_for_backward(x, weights, value, sign)
            return value, sign

        @staticmethod
        def backward(
            ctx: Any, gradient: torch.Tensor, _sign_gradient: torch.Tensor | None
        ) -> tuple[torch.Tensor | None, ...]:
            x, weights, value, sign = ctx.saved_tensors
            xp = array_api_compat.array_namespace(x)
            # In float64 (torch operations: differentiable again under create_graph),
            # rounded once to each input's dtype.
            wide = torch.float64
            dx, db = _backward_rules.weighted_logsumexp_vjp(
                x.to(wide),
                weights.to(wide),
                value.to(wide),
                sign.to(wide),
                gradient.to(wide),
                ctx.axes,
                float(torch.finfo(value.dtype).eps),
                xp,
            )
            needs_x, needs_b, _ = ctx.needs_input_grad
            return (
                dx.to(x.dtype) if needs_x else None,
                db.to(weights.dtype) if needs_b else None,
                None,
            )

    return WeightedLogsumexpFunction


def _weighted_logsumexp(request: Request) -> tuple[torch.Tensor, torch.Tensor]:
    """``(log|sum(b exp(x))|, sign)`` of ``request.x`` and ``request.weights``, differentiable."""
    import torch

    x, weights = request.x, request.weights
    if (x.requires_grad or weights.requires_grad) and torch.is_grad_enabled():
        value, sign = _weighted_autograd_function().apply(x, weights, request.axes)
        return value, sign
    return _weighted_forward(x, weights, request.axes)


def softmax(request: Request) -> torch.Tensor:
    """Softmax of ``request.x`` over ``request.axes``, differentiable."""
    return _compute("softmax", request)


def log_softmax(request: Request) -> torch.Tensor:
    """Log-softmax of ``request.x`` over ``request.axes``, differentiable."""
    return _compute("log_softmax", request)


def logsumexp(request: Request) -> Any:
    """Logsumexp of ``request.x`` over ``request.axes``, keeping them (size 1), differentiable.

    With ``request.weights``: ``(log|sum(b * exp(x))|, sign)``, differentiable in both.
    """
    if request.weights is not None:
        return _weighted_logsumexp(request)
    return _compute("logsumexp", request)
