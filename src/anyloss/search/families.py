r"""The parametric cross-entropies that :func:`anyloss.search.search` searches.

Both transform the target-class probability :math:`p_y = \operatorname{softmax}(x)_y`
before the log, and both are exactly :func:`anyloss.cross_entropy` at their identity
parameters. They are written once over ``xp`` like every anyloss loss; their parameters
are arrays of the logits' library (so they run, differentiate, also with respect to the
parameters, and jit on every backend).

Targets are integer class indices (the family transforms :math:`p_y`, which a
probability target does not single out). Where a transform is not positive, the
logarithm is undefined: the loss and its gradients are NaN there, never clipped.

References
----------
Li, Wang, Liu, Sun, Yan, Ouyang, "AM-LFS: AutoML for Loss Function Search", ICCV 2019
(arXiv:1905.07375).
Wang, Wang, Fu, Li, Mei, "Loss Function Search for Face Recognition", ICML 2020
(arXiv:2007.06542).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .._classes import _index_cross_entropy, _is_index_target, _labels
from .._namespace import Namespace, resolve
from .._primitives import nan_where, shifted_logsumexp
from .._reduction import reduce
from .._validation import check_axis, check_reduction, fmt_shape

__all__ = ["am_lfs_cross_entropy", "search_softmax_cross_entropy"]


# --- shared steps -----------------------------------------------------------------------


def _check_options(axis: Any, reduction: Any) -> None:
    check_reduction(reduction)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"axis must be an int; got {axis!r}")


def _is_array(value: Any, name: str) -> bool:
    """True for an array, False for a list or tuple (made an array later); else ValueError."""
    if hasattr(value, "shape"):
        return True
    if isinstance(value, Sequence) and not isinstance(value, str):
        return False
    raise ValueError(f"{name} must be an array of shape (M,); got {type(value).__name__}")


def _target_log_prob(
    logits: Any, target: Any, axis: int, params: tuple[Any, ...], name: str
) -> tuple[Namespace, Any]:
    """Resolve the namespace of logits, target and the parameters; return ``log p_y``.

    ``log p_y = (x_y - max) - log Σ exp(x - max)``, the very expression
    :func:`anyloss.cross_entropy` negates, so the identity member equals it bit for bit.
    """
    ns = resolve(logits, target, *params)
    xp = ns.xp
    ax = check_axis(axis, logits.ndim)
    if not _is_index_target(logits, target, ax, xp):
        raise ValueError(
            f"{name} takes integer class indices (it transforms the target-class "
            f"probability); got a target of dtype {target.dtype}"
        )
    labels, _, bad = _labels(target, None, int(logits.shape[ax]), ns)
    x = ns.float(logits)
    _, log_s, m = shifted_logsumexp(x, xp, axis=ax)
    # an unchecked out-of-range label (jit, compile): NaN for its sample, as cross_entropy
    return ns, nan_where(bad, -_index_cross_entropy(x, log_s, m, labels, ax, xp), xp)


def _log_positive(arg: Any, xp: Any, log: tuple[Any, float]) -> Any:
    """``fn(arg)`` for ``log = (fn, lower)``: ``(xp.log, 0)`` or ``(xp.log1p, -1)``.

    Where ``arg`` is outside the domain the result and its gradient are NaN: the
    logarithm is evaluated on a harmless stand-in, and ``NaN * arg`` carries the NaN
    into the value and into the gradient (a masked ``where`` alone would leave a finite
    gradient under a NaN loss).
    """
    fn, lower = log
    ok = arg > lower
    safe = xp.where(ok, arg, xp.zeros_like(arg) + (lower + 1.0))
    poison = xp.where(ok, xp.zeros_like(arg), xp.full_like(arg, math.nan))
    return fn(safe) + poison * arg


# --- AM-LFS -----------------------------------------------------------------------------


def _check_bins(slopes: Any, intercepts: Any) -> None:
    s, b = tuple(slopes.shape), tuple(intercepts.shape)
    if len(s) != 1 or s[0] == 0:
        raise ValueError(
            f"slopes must be a 1-D array of shape (M,) with M >= 1 bins; got {fmt_shape(s)}"
        )
    if b != s:
        raise ValueError(
            f"slopes and intercepts must have the same shape (M,); got slopes "
            f"{fmt_shape(s)} and intercepts {fmt_shape(b)}"
        )


def _bin_values(p: Any, slopes: Any, intercepts: Any, ns: Namespace) -> tuple[Any, Any]:
    """Slope and intercept of the bin each ``p`` falls in: bin ``min(⌊p M⌋, M - 1)``."""
    xp, bins = ns.xp, slopes.shape[0]
    k = xp.expand_dims(xp.clip(xp.floor(p * bins), 0.0, bins - 1.0), axis=-1)
    here = k == xp.arange(bins, dtype=ns.dtype, device=ns.device)
    zero = xp.zeros_like(slopes)
    a = xp.sum(xp.where(here, slopes, zero), axis=-1)
    b = xp.sum(xp.where(here, intercepts, zero), axis=-1)
    return a, b


def _log_affine(log_p: Any, a: Any, b: Any, xp: Any) -> Any:
    """``log(a p + b)`` with ``p = exp(log_p)``, accurate also where ``p`` underflows.

    Where ``|b| <= |a| p`` (the identity's ``b = 0`` included) it is
    ``log p + log(a + b / p)``: exact in log space, so ``a = 1, b = 0`` gives ``log p``
    even for ``p`` below the smallest float. Elsewhere ``b`` dominates and
    ``log(a p + b)`` is taken directly. ``1 / p`` is capped at the inverse of the dtype's
    smallest normal number, which only touches the gradient with respect to ``b`` at
    ``b = 0`` where ``p`` underflows (its true value, ``1 / (a p)``, overflows there).
    """
    p = xp.exp(log_p)
    ratio_form = xp.abs(b) <= xp.abs(a) * p
    log_tiny = math.log(float(xp.finfo(log_p.dtype).smallest_normal))
    floor = xp.full_like(log_p, log_tiny)
    inv_p = xp.exp(-xp.where(ratio_form, xp.maximum(log_p, floor), xp.zeros_like(log_p)))
    arg = xp.where(ratio_form, a + b * inv_p, a * p + b)  # sign(arg) = sign(a p + b)
    log_arg = _log_positive(arg, xp, (xp.log, 0.0))
    return xp.where(ratio_form, log_p + log_arg, log_arg)


def am_lfs_cross_entropy(
    logits: Any,
    target: Any,
    *,
    slopes: Any,
    intercepts: Any,
    axis: int = -1,
    reduction: str = "mean",
) -> Any:
    r"""AM-LFS cross-entropy: ``-log τ(p_y)``, τ piecewise linear over M equal bins.

    With :math:`p_y = \operatorname{softmax}(x)_y` and bin
    :math:`k = \min(\lfloor p_y M \rfloor, M - 1)` of :math:`[0, 1]`,

    .. math:: \ell = -\log \tau(p_y), \qquad \tau(p) = a_k\, p + b_k

    with slopes :math:`a` and intercepts :math:`b` of shape ``(M,)``. Identity
    (:math:`a = 1, b = 0`): :func:`anyloss.cross_entropy`, exactly. Only
    :math:`b_k / a_k` shapes the gradient in the logits,
    :math:`-\nabla p_y / (p_y + b_k / a_k)`: a positive intercept damps the gradient of
    samples with a small :math:`p_y` (hard or mislabelled ones), a negative one
    sharpens it.

    Computed in log space (:math:`\log p_y + \log(a_k + b_k / p_y)` where
    :math:`|b_k| \le |a_k| p_y`), so the identity member is finite in value and
    gradient for saturated logits. Where :math:`\tau(p_y) \le 0` the loss is undefined:
    its value and gradients are NaN (never a clipped finite number). Bin edges make the
    loss piecewise; its gradient in the logits is that of the bin the sample sits in.

    Parameters
    ----------
    logits
        Unnormalised scores, classes along ``axis``.
    target
        Integer class indices, ``logits``' shape without ``axis``; on eager arrays a
        label outside ``[0, C)`` raises ``ValueError``.
    slopes, intercepts
        :math:`a` and :math:`b`, arrays of shape ``(M,)`` from the logits' library and
        device (a list or tuple of numbers becomes one there). Differentiable.
    axis
        The class axis.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Li, Wang, Liu, Sun, Yan, Ouyang, "AM-LFS: AutoML for Loss Function Search",
    ICCV 2019 (arXiv:1905.07375).
    """
    _check_options(axis, reduction)
    params = {"slopes": slopes, "intercepts": intercepts}
    arrays = tuple(v for k, v in params.items() if _is_array(v, k))
    ns, log_p = _target_log_prob(logits, target, axis, arrays, "am_lfs_cross_entropy")
    slopes, intercepts = (
        ns.float(v) if hasattr(v, "shape") else ns.constant(list(v)) for v in params.values()
    )
    _check_bins(slopes, intercepts)
    xp = ns.xp
    a, b = _bin_values(xp.exp(log_p), slopes, intercepts, ns)
    return reduce(-_log_affine(log_p, a, b, xp), reduction, xp)


# --- Search-Softmax ---------------------------------------------------------------------


def _check_scalar(a: Any) -> Any:
    if isinstance(a, bool) or not (isinstance(a, (int, float)) or hasattr(a, "shape")):
        raise ValueError(f"a must be a number or a 0-d array; got {type(a).__name__} {a!r}")
    if hasattr(a, "shape") and tuple(a.shape) != ():
        raise ValueError(f"a must be a number or a 0-d array; got shape {fmt_shape(a.shape)}")
    return float(a) if isinstance(a, int) else a


def search_softmax_cross_entropy(
    logits: Any,
    target: Any,
    *,
    a: Any,
    axis: int = -1,
    reduction: str = "mean",
) -> Any:
    r"""Search-Softmax cross-entropy: ``-log(p_y / (a p_y + 1 - a))``.

    .. math:: \ell = -\log \frac{p_y}{a\, p_y + 1 - a}
              = -\log p_y + \operatorname{log1p}\big(a\,(p_y - 1)\big)

    computed as :math:`-\log p_y + \operatorname{log1p}(a \cdot
    \operatorname{expm1}(\log p_y))` from the log-softmax, so it is exact for
    :math:`p_y` near 0 and near 1. Identity (:math:`a = 0`): :func:`anyloss.cross_entropy`,
    exactly. :math:`a < 0` lowers the transformed probability (a margin, as the
    margin-based softmax losses do); :math:`0 < a < 1` raises it. For :math:`a > 1` the
    denominator :math:`a p_y + 1 - a` is not positive for :math:`p_y \le 1 - 1/a`: there
    the loss and its gradients are NaN.

    Parameters
    ----------
    logits
        Unnormalised scores, classes along ``axis``.
    target
        Integer class indices, ``logits``' shape without ``axis``.
    a
        A Python number or a 0-d array of the logits' library (differentiable).
    axis
        The class axis.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Wang, Wang, Fu, Li, Mei, "Loss Function Search for Face Recognition", ICML 2020
    (arXiv:2007.06542).
    """
    _check_options(axis, reduction)
    a = _check_scalar(a)
    ns, log_p = _target_log_prob(logits, target, axis, (a,), "search_softmax_cross_entropy")
    xp = ns.xp
    log_den = _log_positive(ns.float(a) * xp.expm1(log_p), xp, (xp.log1p, -1.0))
    return reduce(log_den - log_p, reduction, xp)
