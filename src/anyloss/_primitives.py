"""Numerically stable building blocks, written once over ``xp``.

Every function here is finite in value and gradient for finite inputs, including
saturated arguments (|x| up to 1e4 and beyond). Branches that would be non-finite are
never evaluated on the unsafe values: the "double where" pattern feeds a harmless value
into the unused branch, so autograd does not multiply a NaN by zero.
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import device_of, relu, softplus, stop_gradient

__all__ = [
    "KERAS_EPSILON",
    "SERIES_RADIUS",
    "bregman_terms",
    "clamp_min",
    "log_ratio",
    "log_softmax",
    "logsumexp",
    "masked_logsumexp",
    "max_along",
    "nan_where",
    "relu",
    "safe_div",
    "safe_log",
    "safe_sqrt",
    "shifted_exp",
    "shifted_logsumexp",
    "softplus",
    "xlogy",
]

KERAS_EPSILON = 1e-7
"""Keras's ``backend.epsilon()``: its floor on norms (``keras.ops.normalize``) and on the
denominators of ``msle``/``mape``, matched where a loss follows Keras."""


def max_along(x: Any, xp: Any, *, axis: int | tuple[int, ...], keepdims: bool = False) -> Any:
    """``xp.max`` over ``axis``; on an empty array, ``-inf`` (the identity of max).

    An empty batch then reduces to an empty result, and an empty axis to ``-inf``, where
    NumPy and torch raise ("zero-size array to reduction operation") and dask fails at
    compute time. The branch is on the static shape, so it traces and stays lazy.
    """
    if math.prod(x.shape) != 0:
        return xp.max(x, axis=axis, keepdims=keepdims)
    axes = {a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)}
    shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape) if keepdims or i not in axes)
    return xp.full(shape, -math.inf, dtype=x.dtype, device=device_of(x))


def shifted_logsumexp(x: Any, xp: Any, *, axis: int | tuple[int, ...]) -> tuple[Any, Any, Any]:
    """``z = x - m``, ``log_s = log(sum(exp(z), axis))`` and the shift ``m`` (keepdims).

    ``m`` is the slice maximum (0 for a slice that is entirely ``-inf``), so the largest
    exponent is 0 and half precision does not overflow; ``logsumexp = log_s + m`` and
    ``log_softmax = z - log_s``. The shift cancels out of both exactly, so its gradient
    is stopped (``_compat.stop_gradient``, as ``jax.nn.logsumexp``): autograd then never
    differentiates the ``max``, which on torch and jax costs a full-size scatter. Keeping
    ``z`` and ``log_s`` apart matters: with float32 logits near 1e4, ``x - logsumexp(x)``
    rounds at the scale of the logits (~1e-3).
    """
    z, e, m = shifted_exp(x, xp, axis=axis)
    return z, xp.log(xp.sum(e, axis=axis, keepdims=True)), m


def shifted_exp(x: Any, xp: Any, *, axis: int | tuple[int, ...]) -> tuple[Any, Any, Any]:
    """``z = x - m``, ``exp(z)`` and the shift ``m`` of ``shifted_logsumexp`` (keepdims):
    ``softmax = exp(z) / sum(exp(z), axis)``, each value at most 1 (the largest is
    exactly 1), the shift's gradient stopped."""
    m = stop_gradient(max_along(x, xp, axis=axis, keepdims=True))
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    z = x - m
    return z, xp.exp(z), m


def logsumexp(x: Any, xp: Any, *, axis: int | tuple[int, ...], keepdims: bool = False) -> Any:
    """``log(sum(exp(x), axis))`` with the maximum subtracted first (see ``shifted_logsumexp``).

    A slice that is entirely ``-inf`` gives ``-inf`` (not NaN).
    """
    _, log_s, m = shifted_logsumexp(x, xp, axis=axis)
    out = log_s + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def masked_logsumexp(x: Any, xp: Any, *, axis: int) -> Any:
    """``logsumexp`` (keepdims) that is -inf with a zero gradient on an all -inf slice.

    Entries masked out as ``-inf`` add exactly 0 with a zero gradient; a slice with none
    left gives ``-inf`` (``log`` sees 1 there, so no NaN gradient), NaN stays NaN. The
    shift ``m`` cancels exactly; its gradient is stopped (see ``shifted_logsumexp``).
    """
    m = stop_gradient(max_along(x, xp, axis=axis, keepdims=True))
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    s = xp.sum(xp.exp(x - m), axis=axis, keepdims=True)
    some = s != 0
    log_s = xp.where(some, xp.log(xp.where(some, s, xp.ones_like(s))), xp.full_like(s, -math.inf))
    return log_s + m


def log_softmax(x: Any, xp: Any, *, axis: int) -> Any:
    """Stable log-probabilities of a softmax: ``(x - m) - log(sum(exp(x - m)))``."""
    z, log_s, _ = shifted_logsumexp(x, xp, axis=axis)
    return z - log_s


def safe_log(x: Any, xp: Any, *, where: Any) -> Any:
    """``log(x)`` where ``where`` holds, 0 elsewhere; gradient-safe (double where)."""
    return xp.where(where, xp.log(xp.where(where, x, xp.ones_like(x))), xp.zeros_like(x))


def xlogy(x: Any, y: Any, xp: Any) -> Any:
    """``x * log(y)`` with ``0 * log(0) = 0`` (also when ``y`` is 0) and a finite gradient."""
    nonzero = x != 0
    return x * safe_log(y, xp, where=nonzero)


def safe_div(num: Any, den: Any, xp: Any) -> Any:
    """``num / den`` where ``den != 0``, 0 elsewhere; gradient-safe (double where).

    Where ``den`` is so small that ``den²`` underflows, the quotient is taken as
    ``num · sign(den) · exp(-log|den|)``. ``jax.grad`` of ``num / den`` forms
    ``g · den⁻² · num``, which overflows there (and is ``inf · 0 = NaN`` at ``num = 0``);
    through the exponential the ``den``-gradient is evaluated as ``g · num · den⁻¹ / den``,
    torch's order, finite wherever the true gradient is. (The value there carries a
    relative rounding of about ``|log den|`` ulps.) NaN in ``den`` stays NaN.
    """
    ok = den != 0
    magnitude = xp.abs(den)
    tiny = xp.logical_and(ok, magnitude < math.sqrt(float(xp.finfo(den.dtype).smallest_normal)))
    one = xp.ones_like(den)
    plain = num / xp.where(xp.logical_and(ok, xp.logical_not(tiny)), den, one)
    signed = xp.where(den < 0, -num, num)  # not xp.sign: array-api-compat's torch sign
    small = signed * xp.exp(-xp.log(xp.where(tiny, magnitude, one)))  # writes by mask (a sync)
    return xp.where(ok, xp.where(tiny, small, plain), xp.zeros_like(plain))


def clamp_min(x: Any, low: float, xp: Any) -> Any:
    """``max(x, low)`` that keeps NaN and gives ``x`` a gradient of exactly 0 below ``low``.

    A ``where``, not ``maximum``: jax differentiates ``maximum`` by multiplying with a 0/1
    mask, so an infinite gradient from above (a denominator whose square underflows)
    becomes ``inf · 0 = NaN`` on the clamped elements.
    """
    return xp.where(x < low, xp.full_like(x, low), x)


def safe_sqrt(x: Any, xp: Any) -> Any:
    """``sqrt(x)`` for ``x >= 0`` whose gradient at 0 is 0 instead of inf; NaN stays NaN."""
    pos = xp.logical_not(x <= 0)
    return xp.where(pos, xp.sqrt(xp.where(pos, x, xp.ones_like(x))), xp.zeros_like(x))


def nan_where(bad: Any, x: Any, xp: Any) -> Any:
    """``x`` with NaN where ``bad`` holds (``bad`` None: ``x`` unchanged).

    The honest answer for inputs whose values could not be checked (an out-of-range class
    label under ``jax.jit``/``torch.compile``): NaN, never a finite wrong number.
    """
    if bad is None:
        return x
    return xp.where(bad, xp.full_like(x, math.nan), x)


def log_ratio(t: Any, p: Any, xp: Any) -> Any:
    """``log(t / p)`` where ``t != 0``, else 0; gradient-safe (double where).

    The value is ``log t - log p`` plus a correction where ``t`` is within half of ``p``:
    there ``log1p((t - p) / p)`` is taken instead (``t - p`` is exact), so nearly equal
    distributions keep their small divergence in half precision (two separate logs each
    round by far more than the divergence). The two forms are one function, so the
    correction's gradient is stopped (``_compat.stop_gradient``): the derivative is that
    of the two logs, ``1/t`` and ``-1/p``, and no gradient flows through ``log1p`` and
    the quotient (under ``jax.grad`` half the work of differentiating both forms).
    """
    nonzero = t != 0
    one = xp.ones_like(t)
    zero = xp.zeros_like(t)
    close = xp.logical_and(nonzero, xp.abs(t - p) <= p / 2)
    t_c, p_c = xp.where(close, t, one), xp.where(close, p, one)
    logs = xp.log(xp.where(nonzero, t, one)) - xp.log(xp.where(nonzero, p, one))
    near = xp.log1p((t_c - p_c) / p_c)
    return xp.where(nonzero, logs + stop_gradient(xp.where(close, near - logs, zero)), zero)


SERIES_RADIUS = 0.25
"""The largest ``|log(t/p)|`` at which ``bregman_terms`` sums its series (``tweedie_deviance``
sizes its own series by it)."""

# psi(x) = e^(-x) - 1 + x = sum_{n >= 2} (-x)^n / n!: the coefficients of x^2 ... x^12
# (the remainder at |x| = 1/4 is 1e-16 of the value)
_PSI = tuple((-1) ** n / math.factorial(n) for n in range(2, 13))


def bregman_terms(p: Any, t: Any, gap: Any, xp: Any) -> Any:
    """``t log(t/p) - t + p`` elementwise, from ``gap = log(t/p)`` (0 where ``t == 0``).

    Where ``|gap| <= 1/4`` it is taken as ``t psi(gap)``, ``psi(x) = e^(-x) - 1 + x`` by
    its Taylor series: the direct form cancels to ``t gap^2 / 2`` there and keeps only
    ``2 eps / |gap|`` of relative precision (nearly equal measures in float32). A zero
    ``t`` gives ``p``; ``p = 0 < t`` gives ``inf``.
    """
    near = xp.logical_and(t != 0, xp.abs(gap) <= SERIES_RADIUS)
    g = xp.where(near, gap, xp.zeros_like(gap))
    poly = _PSI[-1] * g + _PSI[-2]
    for c in reversed(_PSI[:-2]):
        poly = poly * g + c
    return xp.where(near, t * (g * g * poly), t * gap - t + p)
