"""Divergences between distributions along an axis: KL, Jensen–Shannon, generalized KL
and distillation KL (see CATALOG.md).

``pred`` and ``target`` are probability vectors (or their logs, where a flag says so), or
logits for ``distillation_kl``, of equal shape; each divergence is summed over ``axis``,
so ``reduction="none"`` gives one value per remaining index and ``"mean"`` averages those.
A zero target probability adds exactly 0 (``0 log 0 = 0``), with a finite gradient. The
generalized and distillation KL sum ``t log(t/p) - t + p`` by a series where ``t`` is
close to ``p``, so nearly equal distributions keep their small divergence in float32.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._compat import custom_gradient, near_log_ratio, quiet_where, scalar_like
from ._namespace import resolve
from ._primitives import bregman_terms, log_ratio, safe_log, shifted_logsumexp
from ._reduction import reduce, reduce_sum_over
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    boolean,
    check_axis,
    check_non_negative,
    check_probabilities,
    check_same_shape,
    greater_than,
    integer,
)

__all__ = ["distillation_kl", "generalized_kl_div", "js_div", "kl_div"]


@loss(rules={"axis": integer, "log_pred": boolean, "log_target": boolean})
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
        Probability vectors of equal shape along ``axis``: in [0, 1] where not given
        as logs (checked on eager arrays: ``ValueError`` otherwise).
    axis
        The distribution axis.
    log_pred, log_target
        ``pred`` / ``target`` are given as log-probabilities (not checked).
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
    _check_linear(p, t, log_pred, log_target, xp, check_probabilities)
    if log_pred or log_target:
        terms = _kl_terms_of_logs(p, t, xp, log_pred=log_pred, log_target=log_target)
    else:
        kl = _KLTerms(xp)
        terms = custom_gradient(kl.value, kl.gradient, p, t)
    return reduce_sum_over(terms, ax, reduction, xp)


def _check_linear(
    p: Any, t: Any, log_pred: bool, log_target: bool, xp: Any, check: Callable[..., None]
) -> None:
    """``check(xp, pred=p, target=t)`` on the inputs not given as logs."""
    linear = {k: v for k, v, logs in (("pred", p, log_pred), ("target", t, log_target)) if not logs}
    check(xp, **linear)


class _KLTerms:
    """``t log(t/p)`` per class (0 where ``t == 0``), and its gradient written out.

    The ratio's logarithm is ``log t - log p``, or where ``t`` is within half of ``p``
    ``_compat.near_log_ratio`` (``log1p((t - p)/p)``, ``t - p`` exact there): nearly equal
    distributions keep their small divergence, where two separate logs each round by far
    more than it. The gradient is ``-t/p`` for ``p`` and ``log(t/p) + 1`` for ``t``, both
    0 where ``t == 0`` (also at ``p == 0``), written by hand (``custom_gradient``): then
    neither log needs a masked argument to keep autograd finite at ``t == 0``, and on
    torch and jax they get none (``quiet_where``); under ``torch.compile`` (inductor,
    CPU) each mask costs its fused loop ~5% of the native forward+backward.
    """

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def value(self, p: Any, t: Any) -> tuple[Any, tuple[Any, ...]]:
        # nothing saved: the backward of p needs only p and t, and the target's (rarely
        # asked for) recomputes the ratio; saving it cost the compiled forward a
        # full-size write (~8% of the native forward+backward)
        return t * self.ratio(p, t), ()

    def ratio(self, p: Any, t: Any) -> Any:
        """``log(t/p)``, 0 where ``t == 0``."""
        xp = self.xp
        nonzero = t != 0
        close = xp.abs(t - p) <= p / 2
        one, zero = scalar_like(1.0, t, xp), scalar_like(0.0, t, xp)  # 0-d: no full-size fill
        logs = xp.log(quiet_where(nonzero, t, one, xp)) - xp.log(quiet_where(nonzero, p, one, xp))
        near = near_log_ratio(t, p, xp.logical_and(nonzero, close), xp)
        return xp.where(nonzero, xp.where(close, near, logs), zero)

    def gradient(
        self, arrays: Any, saved: Any, g: Any, wanted: tuple[bool, ...]
    ) -> tuple[Any, Any]:
        xp = self.xp
        p, t = arrays
        zero = scalar_like(0.0, t, xp)
        nonzero = t != 0
        # g inside: inductor then computes -t g / p in the backward pass, not in the forward
        # pass (which wrote a full-size temporary)
        d_pred = xp.where(nonzero, -(t * g) / p, zero) if wanted[0] else None
        if not wanted[1]:
            return d_pred, None
        return d_pred, xp.where(nonzero, self.ratio(p, t) + 1, zero) * g


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


@loss(rules={"axis": integer})
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
        Probability vectors of equal shape along ``axis``, in [0, 1] (checked on eager
        arrays: ``ValueError`` otherwise).
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
    check_probabilities(xp, pred=p, target=t)
    per_sample = xp.sum(_js_terms(p, t, xp), axis=ax) / 2
    return reduce(per_sample, reduction, xp)


def _log_gap(p: Any, t: Any, log_pred: bool, log_target: bool, xp: Any) -> tuple[Any, Any, Any]:
    """``pred`` and ``target`` as measures, and ``log(t/p)`` (0 where ``t == 0``).

    Double where: a zero target never lets ``log 0`` (or a ``-inf`` log) into the value
    or the gradient; on plain measures the ratio is ``log_ratio``'s (``log1p`` where
    ``t`` is close to ``p``).
    """
    if not (log_pred or log_target):
        return p, t, log_ratio(t, p, xp)
    t_lin = xp.exp(t) if log_target else t
    nonzero = t_lin != 0
    one, zero = xp.ones_like(t_lin), xp.zeros_like(t_lin)
    log_t = t if log_target else xp.log(xp.where(nonzero, t, one))
    log_p = p if log_pred else xp.log(xp.where(nonzero, p, one))
    gap = xp.where(nonzero, log_t, zero) - xp.where(nonzero, log_p, zero)
    return (xp.exp(p) if log_pred else p), t_lin, gap


def _softmax_gap(a: Any, b: Any, axis: int, xp: Any) -> tuple[Any, Any, Any]:
    """``softmax(a)``, ``softmax(b)`` and ``log softmax(a) - log softmax(b)`` along ``axis``.

    In a slice where ``|a - b| <= 1`` everywhere, the gap is ``(a - b) - log1p(sum
    softmax(b) expm1(a - b))``: exact to the rounding of ``a - b``, where the difference of
    two log-softmaxes rounds at the scale of ``log C`` (all of it, for nearly equal
    logits). Elsewhere it is that difference (the shifts' gradients stopped).
    """
    za, log_sa, _ = shifted_logsumexp(a, xp, axis=axis)
    zb, log_sb, _ = shifted_logsumexp(b, xp, axis=axis)
    log_qa, log_qb = za - log_sa, zb - log_sb
    qb = xp.exp(log_qb)
    delta = a - b
    near = xp.all(xp.abs(delta) <= 1, axis=axis, keepdims=True)
    d = xp.where(near, delta, xp.zeros_like(delta))
    shift = xp.log1p(xp.sum(qb * xp.expm1(d), axis=axis, keepdims=True))
    gap = xp.where(near, d - shift, log_qa - log_qb)
    return xp.exp(log_qa), qb, gap


@loss(rules={"axis": integer, "log_pred": boolean, "log_target": boolean})
def generalized_kl_div(
    pred: Array,
    target: Array,
    *,
    axis: int = -1,
    log_pred: bool = False,
    log_target: bool = False,
    reduction: Reduction = "mean",
) -> Array:
    r"""Generalized Kullback–Leibler divergence of non-negative measures (I-divergence).

    .. math:: \ell = \sum_c \Big(t_c \log\frac{t_c}{p_c} - t_c + p_c\Big),
              \qquad 0 \log 0 = 0

    summed over ``axis``: the Bregman divergence of :math:`x \log x - x`, defined for
    unnormalised ``pred`` and ``target`` (on probability vectors it is
    :func:`kl_div`). A zero target entry contributes :math:`p_c`, also where ``pred``
    is 0. Matches ``optax.generalized_kl_divergence(log p, t)`` (formerly
    ``convex_kl_divergence``; Optax takes ``pred`` as logs and gives NaN where both are 0).

    Parameters
    ----------
    pred, target
        Non-negative arrays of equal shape (checked on eager arrays where not given as
        logs: ``ValueError`` otherwise).
    axis
        The axis summed over.
    log_pred, log_target
        ``pred`` / ``target`` are given as logs (``exp`` is applied for the linear terms;
        not checked).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Csiszár, "Why Least Squares and Maximum Entropy? An Axiomatic Approach to Inference
    for Linear Inverse Problems", Ann. Statist., 1991 (the I-divergence).
    Lee & Seung, "Algorithms for Non-negative Matrix Factorization", NeurIPS 2000.
    """
    ns = resolve(pred, target)
    check_same_shape(pred, target, "pred", "target")
    xp = ns.xp
    ax = check_axis(axis, pred.ndim)
    p, t = ns.float(pred), ns.float(target)
    _check_linear(p, t, log_pred, log_target, xp, check_non_negative)
    p, t, gap = _log_gap(p, t, log_pred, log_target, xp)
    return reduce(xp.sum(bregman_terms(p, t, gap, xp), axis=ax), reduction, xp)


@loss(rules={"axis": integer, "temperature": greater_than(0.0)})
def distillation_kl(
    student_logits: Array,
    teacher_logits: Array,
    *,
    temperature: float = 1.0,
    axis: int = -1,
    reduction: Reduction = "mean",
) -> Array:
    r"""Knowledge-distillation loss: KL of the softened student from the softened teacher.

    With :math:`\log q = \operatorname{log\_softmax}(z_t / T)` (teacher) and
    :math:`\log p = \operatorname{log\_softmax}(z_s / T)` (student) along ``axis``,

    .. math:: \ell = T^2 \sum_c q_c\,(\log q_c - \log p_c)

    per sample, computed from the log-probabilities (finite at saturated logits; the
    log-sum-exp shift is a stopped gradient). The :math:`T^2` keeps the gradient scale
    independent of the temperature. Gradients flow into both logits (detach the
    teacher's yourself to train the student only). On 2-D inputs "mean" is
    ``T**2 * torch.nn.functional.kl_div(log_softmax(s/T), log_softmax(t/T),
    log_target=True, reduction="batchmean")``.

    Parameters
    ----------
    student_logits, teacher_logits
        Unnormalised scores of equal shape, classes along ``axis``.
    temperature
        The softening temperature :math:`T` > 0.
    axis
        The class axis.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", NeurIPS
    Deep Learning Workshop, 2015.
    """
    ns = resolve(student_logits, teacher_logits)
    check_same_shape(student_logits, teacher_logits, "student_logits", "teacher_logits")
    xp = ns.xp
    ax = check_axis(axis, student_logits.ndim)
    q, p, gap = _softmax_gap(
        ns.float(teacher_logits) / temperature, ns.float(student_logits) / temperature, ax, xp
    )
    per_sample = xp.sum(bregman_terms(p, q, gap, xp), axis=ax)
    return reduce(temperature * temperature * per_sample, reduction, xp)
