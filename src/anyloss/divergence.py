"""Divergences between probability distributions along an axis (see CATALOG.md).

``pred`` and ``target`` are probability vectors (or their logs, where a flag says so) of
equal shape; the divergence is summed over ``axis``, so ``reduction="none"`` gives one
value per remaining index and ``"mean"`` averages those. A zero target probability adds
exactly 0 (``0 log 0 = 0``), with a finite gradient.
"""

from __future__ import annotations

from typing import Any

from ._examples import arrays, simplex
from ._namespace import resolve
from ._primitives import safe_log
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import boolean, check_axis, check_same_shape, integer

__all__ = ["js_div", "kl_div"]


@loss(
    "classification",
    example=arrays(simplex(6, 5), simplex(6, 5)),
    rules={"axis": integer, "log_pred": boolean, "log_target": boolean},
)
def kl_div(
    pred: Array,
    target: Array,
    *,
    axis: int = -1,
    log_pred: bool = False,
    log_target: bool = False,
    reduction: Reduction = "mean",
) -> Array:
    r"""Kullback–Leibler divergence of ``target`` from ``pred``, KL(target ‖ pred).

    .. math:: \ell = \sum_c t_c\,(\log t_c - \log p_c), \qquad 0 \log 0 = 0

    summed over ``axis``: "none" gives one value per remaining index, "mean" averages
    them (on 2-D inputs, ``torch.nn.functional.kl_div(log p, t,
    reduction="batchmean")``). A zero target probability contributes exactly 0, also
    where ``pred`` is 0 (torch gives NaN there).

    Parameters
    ----------
    pred, target
        Probability vectors of equal shape along ``axis``.
    axis
        The distribution axis.
    log_pred, log_target
        ``pred`` / ``target`` are given as log-probabilities.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Kullback & Leibler, "On Information and Sufficiency", Ann. Math. Stat., 1951.
    """
    ns = resolve(pred, target)
    check_same_shape(pred, target, "pred", "target")
    xp = ns.xp
    ax = check_axis(axis, pred.ndim)
    p, t = ns.float(pred), ns.float(target)
    if log_pred or log_target:
        terms = _kl_terms_of_logs(p, t, xp, log_pred=log_pred, log_target=log_target)
    else:
        terms = t * _log_ratio(t, p, xp)
    return reduce(xp.sum(terms, axis=ax), reduction, xp)


def _kl_terms_of_logs(p: Any, t: Any, xp: Any, *, log_pred: bool, log_target: bool) -> Any:
    """``t (log t - log p)`` per class where either input is given as log-probabilities.

    Double where: a zero target never lets ``log 0`` (or a -inf log) into the value or
    the gradient.
    """
    probs = xp.exp(t) if log_target else t
    nonzero = probs != 0
    log_t = t if log_target else safe_log(t, xp, where=nonzero)
    log_p = p if log_pred else safe_log(p, xp, where=nonzero)
    zero = xp.zeros_like(probs)
    return probs * (xp.where(nonzero, log_t, zero) - xp.where(nonzero, log_p, zero))


def _log_ratio(t: Any, p: Any, xp: Any) -> Any:
    """``log(t / p)`` where ``t != 0``, else 0; gradient-safe (double where).

    Where ``t`` is within half of ``p`` it is ``log1p((t - p) / p)``: ``t - p`` is exact
    there, so nearly equal distributions keep their small divergence in half precision
    (two separate logs would each round by far more than the divergence).
    """
    nonzero = t != 0
    one = xp.ones_like(t)
    close = xp.logical_and(nonzero, xp.abs(t - p) <= p / 2)
    t_c, p_c = xp.where(close, t, one), xp.where(close, p, one)
    near = xp.log1p((t_c - p_c) / p_c)
    far = xp.log(xp.where(nonzero, t, one)) - xp.log(xp.where(nonzero, p, one))
    return xp.where(close, near, xp.where(nonzero, far, xp.zeros_like(t)))


def _js_terms(p: Any, t: Any, xp: Any) -> Any:
    """``p log(p/m) + t log(t/m)`` per class, ``m = (p + t)/2``, 0·log 0 = 0, each >= 0.

    With ``d = (p - t)/(p + t)`` the term is ``m f(d)``,
    ``f(d) = (1+d) log(1+d) + (1-d) log(1-d) = 2 d atanh(d) + log1p(-d²)``: for
    ``|d| <= 1/2`` that form loses at most a factor 2 to cancellation, so nearly equal
    distributions keep their (quadratically small) divergence in half precision.
    Elsewhere (including a zero probability, ``|d| = 1``) the terms are taken directly.
    """
    one = xp.ones_like(p)
    m = (p + t) / 2
    some = m != 0
    d = (p - t) / xp.where(some, p + t, one)
    close = xp.logical_and(some, xp.abs(d) <= 0.5)
    d_c = xp.where(close, d, xp.zeros_like(d))
    near = m * (2 * d_c * xp.atanh(d_c) + xp.log1p(-d_c * d_c))
    far = _mixture_term(p, m, xp) + _mixture_term(t, m, xp)
    return xp.where(close, near, far)


def _mixture_term(a: Any, m: Any, xp: Any) -> Any:
    """``a (log a - log m)`` with 0 where ``a == 0`` (``m > 0`` wherever ``a > 0``)."""
    nonzero = a != 0
    one = xp.ones_like(a)
    gap = xp.log(xp.where(nonzero, a, one)) - xp.log(xp.where(nonzero, m, one))
    return a * gap


@loss("classification", example=arrays(simplex(6, 5), simplex(6, 5)), rules={"axis": integer})
def js_div(pred: Array, target: Array, *, axis: int = -1, reduction: Reduction = "mean") -> Array:
    r"""Jensen–Shannon divergence (natural log) between two probability vectors.

    .. math:: \ell = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(t \,\|\, m),
              \qquad m = \tfrac12 (p + t)

    summed over ``axis`` ("none": one value per sample), with 0 log 0 = 0. Matches
    ``scipy.spatial.distance.jensenshannon(p, t) ** 2`` on probability vectors (scipy
    also renormalises its inputs; here they are used as given).

    Parameters
    ----------
    pred, target
        Probability vectors of equal shape along ``axis``.
    axis
        The distribution axis.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Lin, "Divergence Measures Based on the Shannon Entropy", IEEE Trans. Inf. Theory,
    1991.
    """
    ns = resolve(pred, target)
    check_same_shape(pred, target, "pred", "target")
    xp = ns.xp
    ax = check_axis(axis, pred.ndim)
    p, t = ns.float(pred), ns.float(target)
    per_sample = xp.sum(_js_terms(p, t, xp), axis=ax) / 2
    return reduce(per_sample, reduction, xp)
