"""Multiclass classification losses: softmax cross-entropy and its relatives (see CATALOG.md).

The class axis is ``axis=-1`` by default; ``axis=1`` is torch's channels-first layout
(``(N, C, H, W)`` logits with ``(N, H, W)`` labels). A target is read by its dtype:

* integer **class indices**, shaped like the logits without ``axis``. They are gathered
  with ``take_along_axis``; no ``(N, C)`` one-hot is built. On eager arrays a label
  outside ``[0, C)`` (other than ``ignore_index``) raises ``ValueError``; under
  ``jax.jit`` or on dask labels are unchecked.
* floating **class probabilities**, shaped like the logits.

``reduction="none"`` gives one value per sample (every index but ``axis``); ``"mean"``
averages them, except that class weights or ``ignore_index`` make it the sum of the
losses over the sum of the target weights (torch). A batch whose every label is ignored
has mean 0 and a zero gradient.
"""

from __future__ import annotations

import math
from typing import Any

from ._classes import (
    _SMOOTHING,
    _along,
    _gather,
    _index_cross_entropy,
    _labels,
    _setup,
    _soft_cross_entropy,
    _take_weight,
    _times_log,
    _weighted_reduce,
)
from ._compat import scalar_like
from ._namespace import Namespace, resolve
from ._primitives import log_softmax, masked_logsumexp, shifted_logsumexp, xlogy
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    Rule,
    at_least,
    check_axis,
    check_non_negative,
    check_probabilities,
    check_same_shape,
    in_interval,
    integer,
    is_zero,
    optional,
    weights,
)

__all__ = [
    "categorical_cross_entropy",
    "cross_entropy",
    "nll",
    "poly1_cross_entropy",
    "softmax_focal",
]

# --- hyperparameter rules ---------------------------------------------------------------


def _open_interval(lo: float, hi: float) -> Rule:
    def check(name: str, value: Any) -> None:
        in_interval(lo, hi)(name, value)
        if value in (lo, hi):
            raise ValueError(f"{name} must lie strictly between {lo} and {hi}; got {value!r}")

    return check


_CLASS_RULES: dict[str, Rule] = {
    "axis": integer,
    "ignore_index": optional(integer),
    "weight": weights(number=False),
}

# --- targets ----------------------------------------------------------------------------

# below this log-probability, log(1 - p) = log1p(-p) loses nothing (1 - p >= 1/4); above
# it, only one class of a row can be (two would sum past 1)
_LOG_THREE_QUARTERS = math.log(0.75)


def _smooth(t: Any, label_smoothing: Any, num_classes: int) -> Any:
    """``(1 - ε) t + ε / C``: torch's, Keras's and Optax's label smoothing."""
    if is_zero(label_smoothing):
        return t
    return t * (1 - label_smoothing) + label_smoothing / num_classes


def _uniform_cross_entropy(z: Any, log_s: Any, w: Any, axis: int, xp: Any) -> Any:
    """``-Σ_c w_c log p_c`` per sample (the label-smoothing term), ``log_s Σ w - Σ w z``."""
    log_s = xp.squeeze(log_s, axis=axis)
    if w is None:
        return z.shape[axis] * log_s - xp.sum(z, axis=axis)
    return log_s * xp.sum(w) - xp.sum(z * _along(w, axis, z.ndim, xp), axis=axis)


def _log1m_softmax(log_p: Any, xp: Any, *, axis: int) -> Any:
    """``log(1 - softmax)`` from the log-probabilities, finite in value and gradient.

    Where ``p <= 3/4``: ``log1p(-p)``. The one class of a row with ``p > 3/4`` (it can
    only be one) gets the log of the other classes' mass, a log-sum-exp of their
    log-probabilities: exact also when ``1 - p`` rounds to 0 (saturated logits).
    """
    small = log_p <= _LOG_THREE_QUARTERS
    direct = xp.log1p(-xp.exp(xp.where(small, log_p, xp.full_like(log_p, -1.0))))
    others = masked_logsumexp(xp.where(small, log_p, xp.full_like(log_p, -math.inf)), xp, axis=axis)
    return xp.where(small, direct, others)


def _focal_factor(log1m_p: Any, gamma: Any, xp: Any) -> Any:
    """``(1 - p) ** gamma`` as ``exp(gamma * log(1 - p))``: finite gradient for gamma < 1."""
    return xp.exp(gamma * log1m_p)


# --- losses -----------------------------------------------------------------------------


@loss(rules={**_CLASS_RULES, "label_smoothing": _SMOOTHING})
def cross_entropy(
    logits: Array,
    target: Array,
    *,
    axis: int = -1,
    weight: Any = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> Array:
    r"""Softmax cross-entropy of logits against class indices or class probabilities.

    With :math:`\log p = \operatorname{log\_softmax}(x)` along ``axis``, class weights
    :math:`w` (1 without ``weight``) and smoothing :math:`\varepsilon` over :math:`C`
    classes, a class index :math:`y` gives

    .. math:: \ell = (1 - \varepsilon)\, w_y\,(-\log p_y)
              + \frac{\varepsilon}{C} \sum_c w_c\,(-\log p_c)

    and "mean" is :math:`\sum_i \ell_i / \sum_i w_{y_i}` over the labels that are not
    ``ignore_index`` (torch's normalisation, the smoothing term included). A probability
    target :math:`t` gives :math:`\ell = -\sum_c w_c\, \tilde t_c \log p_c` with
    :math:`\tilde t = (1 - \varepsilon)t + \varepsilon / C`, and "mean" divides by the
    number of samples. Terms with :math:`\tilde t_c = 0` are exactly 0, also where the
    logit is ``-inf`` (a masked class, Optax's ``safe_softmax_cross_entropy``).

    Matches ``torch.nn.functional.cross_entropy`` (whose ``ignore_index`` default is
    -100; here ``None`` ignores nothing, and an all-ignored "mean" is 0, not NaN) and
    ``optax.softmax_cross_entropy`` / ``softmax_cross_entropy_with_integer_labels``.

    Parameters
    ----------
    logits
        Unnormalised scores, classes along ``axis``.
    target
        Integer class indices (``logits``' shape without ``axis``) or class
        probabilities (``logits``' shape).
    axis
        The class axis; ``1`` for torch's channels-first ``(N, C, ...)`` layout.
    weight
        Optional per-class weights, an array of length C.
    ignore_index
        A label value that contributes nothing and is left out of "mean"
        (class indices only).
    label_smoothing
        :math:`\varepsilon` in [0, 1].
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Szegedy, Vanhoucke, Ioffe, Shlens & Wojna, "Rethinking the Inception Architecture
    for Computer Vision", CVPR 2016 (label smoothing).
    """
    ns, ax, _, index, w = _setup(logits, target, weight, axis, ignore_index)
    x = ns.float(logits)
    if index:
        return _cross_entropy_of_indices(
            x, target, ns, ax, w, ignore_index, label_smoothing, reduction
        )
    return _cross_entropy_of_probabilities(
        x, ns.float(target), ns, ax, w, label_smoothing, reduction
    )


def _index_terms(
    x: Any, target: Any, ns: Namespace, ax: int, ignore_index: int | None
) -> tuple[Any, Any, Any, Any, Any]:
    """The shifted logits and log-sum-exp, the labels with their keep mask, and
    ``-log p_y`` per sample (NaN at an unchecked out-of-range label): what every
    class-index softmax loss starts from."""
    z, log_s, m = shifted_logsumexp(x, ns.xp, axis=ax)
    labels, keep, bad = _labels(target, ignore_index, int(x.shape[ax]), ns)
    return z, log_s, labels, keep, _index_cross_entropy(x, log_s, m, labels, ax, ns.xp, bad)


def _with_smoothing(
    per_sample: Any, z: Any, log_s: Any, w: Any, ax: int, label_smoothing: Any, xp: Any
) -> Any:
    """``(1 - ε) ℓ + (ε / C) Σ_c w_c (-log p_c)``: the smoothing term mixed in (ε ≠ 0)."""
    if is_zero(label_smoothing):
        return per_sample
    uniform = _uniform_cross_entropy(z, log_s, w, ax, xp)
    return (1 - label_smoothing) * per_sample + (label_smoothing / z.shape[ax]) * uniform


def _cross_entropy_of_indices(
    x: Any,
    target: Any,
    ns: Namespace,
    ax: int,
    w: Any,
    ignore_index: int | None,
    label_smoothing: Any,
    reduction: str,
) -> Any:
    """:func:`cross_entropy` of class indices: ``-w_y log p_y``, torch's weighted mean."""
    xp = ns.xp
    z, log_s, labels, keep, nll_y = _index_terms(x, target, ns, ax, ignore_index)
    tw = None if w is None else _take_weight(w, labels, xp)
    per_sample = nll_y if tw is None else tw * nll_y
    per_sample = _with_smoothing(per_sample, z, log_s, w, ax, label_smoothing, xp)
    return _weighted_reduce(per_sample, reduction, xp, keep, tw)  # NaN at bad labels


def _cross_entropy_of_probabilities(
    x: Any, t: Any, ns: Namespace, ax: int, w: Any, label_smoothing: Any, reduction: str
) -> Any:
    """:func:`cross_entropy` of class probabilities: ``-Σ_c w_c t_c log p_c``, plain mean."""
    xp = ns.xp
    z, log_s, _ = shifted_logsumexp(x, xp, axis=ax)
    per_sample = _soft_cross_entropy(z, log_s, t, w, ax, xp)
    per_sample = _with_smoothing(per_sample, z, log_s, w, ax, label_smoothing, xp)
    return reduce(per_sample, reduction, xp)


@loss(labels=(1,), rules=_CLASS_RULES)
def nll(
    log_probs: Array,
    target: Array,
    *,
    axis: int = -1,
    weight: Any = None,
    ignore_index: int | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Negative log-likelihood of class indices under given log-probabilities.

    .. math:: \ell = -w_y \log p_y

    "mean" is :math:`\sum_i \ell_i / \sum_i w_{y_i}` over the labels that are not
    ``ignore_index``; an all-ignored batch gives 0. Matches
    ``torch.nn.functional.nll_loss`` (``ignore_index=None`` ignores nothing; torch's
    default is -100). ``log_probs`` is used as given (no normalisation).

    Parameters
    ----------
    log_probs
        Log-probabilities, classes along ``axis``.
    target
        Integer class indices, ``log_probs``' shape without ``axis``.
    axis, weight, ignore_index, reduction
        As in :func:`cross_entropy`.

    References
    ----------
    Bishop, "Pattern Recognition and Machine Learning", Springer, 2006, sec. 4.3.4.
    """
    ns, ax, num_classes, index, w = _setup(log_probs, target, weight, axis, ignore_index)
    if not index:
        raise ValueError(
            f"nll takes integer class indices; got a target of dtype "
            f"{target.dtype} (use cross_entropy for probabilities)"
        )
    xp = ns.xp
    labels, keep, bad = _labels(target, ignore_index, num_classes, ns)
    per_sample = -_gather(ns.float(log_probs), labels, ax, xp, bad)
    tw = None if w is None else _take_weight(w, labels, xp)
    if tw is not None:
        per_sample = tw * per_sample
    return _weighted_reduce(per_sample, reduction, xp, keep, tw)


@loss(rules={"axis": integer, "eps": _open_interval(0.0, 0.5), "label_smoothing": _SMOOTHING})
def categorical_cross_entropy(
    probs: Array,
    target: Array,
    *,
    axis: int = -1,
    eps: float = 1e-7,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> Array:
    r"""Cross-entropy of predicted probabilities against a one-hot or soft target.

    .. math:: \ell = -\sum_c \tilde t_c \log \operatorname{clip}\Big(
              \frac{p_c}{\sum_k p_k}, \epsilon, 1 - \epsilon\Big),
              \qquad \tilde t = (1 - \varepsilon) t + \varepsilon / C

    The probabilities are renormalised along ``axis``, then clipped (so a 0 or 1 gives
    a finite loss; beyond the clip the gradient is 0), as
    ``keras.losses.CategoricalCrossentropy()`` does, which this matches (Keras
    smooths with the size of the last axis; here ``C`` is the size along ``axis``).

    Parameters
    ----------
    probs
        Probabilities, classes along ``axis``, renormalised along it (so non-negative
        scores of any scale are taken, as by Keras); >= 0 (checked on eager arrays:
        ``ValueError`` otherwise).
    target
        One-hot or soft target, ``probs``' shape, in [0, 1] (checked on eager arrays:
        ``ValueError`` otherwise).
    axis
        The class axis.
    eps
        Clip bound, in (0, 0.5); Keras's ``backend.epsilon()`` is 1e-7.
    label_smoothing
        :math:`\varepsilon` in [0, 1].
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Chollet et al., "Keras", https://keras.io, 2015 (``CategoricalCrossentropy``).
    """
    ns = resolve(probs, target)
    check_same_shape(probs, target, "probs", "target")
    xp = ns.xp
    ax = check_axis(axis, probs.ndim)
    p, t = ns.float(probs), ns.float(target)
    check_non_negative(xp, probs=p)  # renormalised: any non-negative scale, as Keras
    check_probabilities(xp, target=t)
    t = _smooth(t, label_smoothing, int(p.shape[ax]))
    p = xp.clip(
        p / xp.sum(p, axis=ax, keepdims=True), scalar_like(eps, p, xp), scalar_like(1 - eps, p, xp)
    )
    return reduce(-xp.sum(xlogy(t, p, xp), axis=ax), reduction, xp)


@loss(rules={**_CLASS_RULES, "gamma": at_least(0.0), "alpha": optional(at_least(0.0))})
def softmax_focal(
    logits: Array,
    target: Array,
    *,
    axis: int = -1,
    gamma: float = 2.0,
    alpha: float | None = None,
    weight: Any = None,
    ignore_index: int | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Focal loss on a softmax: cross-entropy scaled down where the model is confident.

    .. math:: \ell = -\alpha \sum_c w_c\, t_c\, (1 - p_c)^{\gamma} \log p_c

    (for class indices :math:`t` is the one-hot of :math:`y`, never built). The factor
    :math:`(1 - p)^\gamma` is computed as :math:`\exp(\gamma \log(1 - p))` with
    :math:`\log(1 - p)` taken from the log-softmax (a log-sum-exp of the other classes
    where :math:`p` is near 1), so saturated logits and :math:`\gamma < 1` keep finite
    gradients; at :math:`\gamma = 0` the loss equals :func:`cross_entropy` exactly
    (times ``alpha``). With ``weight`` or ``ignore_index``, "mean" divides by the sum of
    the target weights, as :func:`cross_entropy`.

    Matches ``keras.losses.CategoricalFocalCrossentropy(from_logits=True, alpha=α)`` on
    one-hot targets at moderate logits (Keras clips probabilities to [1e-7, 1 - 1e-7]).

    Parameters
    ----------
    logits, target, axis, weight, ignore_index, reduction
        As in :func:`cross_entropy` (``target``: class indices or one-hot/probabilities).
    gamma
        Focusing exponent, >= 0.
    alpha
        Scalar weight >= 0 of the whole loss; ``None`` (default) is 1 (Keras's default is
        0.25).

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, "Focal Loss for Dense Object Detection",
    ICCV 2017.
    """
    ns, ax, _, index, w = _setup(logits, target, weight, axis, ignore_index)
    x = ns.float(logits)
    if index:
        return _focal_of_indices(x, target, ns, ax, w, ignore_index, gamma, alpha, reduction)
    return _focal_of_probabilities(x, ns.float(target), ns, ax, w, gamma, alpha, reduction)


def _focal_of_indices(
    x: Any,
    target: Any,
    ns: Namespace,
    ax: int,
    w: Any,
    ignore_index: int | None,
    gamma: Any,
    alpha: Any,
    reduction: str,
) -> Any:
    """:func:`softmax_focal` of class indices: the factor and the log at ``y`` only."""
    xp = ns.xp
    z, log_s, labels, keep, per_sample = _index_terms(x, target, ns, ax, ignore_index)
    if not is_zero(gamma):
        log1m_p = _gather(_log1m_softmax(z - log_s, xp, axis=ax), labels, ax, xp)
        per_sample = _focal_factor(log1m_p, gamma, xp) * per_sample
    tw = None if w is None else _take_weight(w, labels, xp)
    if tw is not None:
        per_sample = tw * per_sample
    if alpha is not None:
        per_sample = alpha * per_sample
    return _weighted_reduce(per_sample, reduction, xp, keep, tw)  # NaN at bad labels


def _focal_of_probabilities(
    x: Any, t: Any, ns: Namespace, ax: int, w: Any, gamma: Any, alpha: Any, reduction: str
) -> Any:
    """:func:`softmax_focal` of class probabilities: every class's term, summed."""
    xp = ns.xp
    z, log_s, _ = shifted_logsumexp(x, xp, axis=ax)
    if is_zero(gamma):  # the cross-entropy's own arithmetic: equal to it exactly
        per_sample = _soft_cross_entropy(z, log_s, t, w, ax, xp)
    else:
        log_p = z - log_s
        factor = _focal_factor(_log1m_softmax(log_p, xp, axis=ax), gamma, xp)
        terms = -factor * _times_log(t, log_p, xp)
        if w is not None:
            terms = terms * _along(w, ax, x.ndim, xp)
        per_sample = xp.sum(terms, axis=ax)
    if alpha is not None:
        per_sample = alpha * per_sample
    return reduce(per_sample, reduction, xp)


@loss(rules={"axis": integer, "epsilon": at_least(-1.0), "label_smoothing": _SMOOTHING})
def poly1_cross_entropy(
    logits: Array,
    target: Array,
    *,
    axis: int = -1,
    epsilon: float = 2.0,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> Array:
    r"""Poly-1 loss: cross-entropy plus ``epsilon`` times the first polynomial term.

    .. math:: \ell = -\sum_c \tilde t_c \log p_c + \epsilon \sum_c \tilde t_c (1 - p_c),
              \qquad \tilde t = (1 - \varepsilon_{ls}) t + \varepsilon_{ls} / C

    (for a class index :math:`y`: :math:`-\log p_y + \epsilon(1 - p_y)` without
    smoothing). :math:`1 - p` is computed as ``-expm1(log p)``.
    Matches ``optax.poly_loss_cross_entropy`` (on labels smoothed by
    ``optax.smooth_labels``).

    Parameters
    ----------
    logits, target, axis, reduction
        As in :func:`cross_entropy` (no ``weight`` or ``ignore_index``).
    epsilon
        Coefficient of :math:`(1 - p_t)`, >= -1 (the paper uses 2 for ImageNet, -1 for
        detection).
    label_smoothing
        :math:`\varepsilon_{ls}` in [0, 1].

    References
    ----------
    Leng, Tan, Liu, Cubuk, Shi, Cheng & Anguelov, "PolyLoss: A Polynomial Expansion
    Perspective of Classification Loss Functions", ICLR 2022.
    """
    ns, ax, num_classes, index, _ = _setup(logits, target, None, axis, None)
    xp = ns.xp
    log_p = log_softmax(ns.float(logits), xp, axis=ax)
    if not index:
        t = _smooth(ns.float(target), label_smoothing, num_classes)
        ce = -xp.sum(_times_log(t, log_p, xp), axis=ax)
        poly = xp.sum(t * -xp.expm1(log_p), axis=ax)
        return reduce(ce + epsilon * poly, reduction, xp)
    labels, _, bad = _labels(target, None, num_classes, ns)
    log_p_y = _gather(log_p, labels, ax, xp, bad)
    ce, poly = -log_p_y, -xp.expm1(log_p_y)
    if not is_zero(label_smoothing):
        ls = label_smoothing
        ce = (1 - ls) * ce - (ls / num_classes) * xp.sum(log_p, axis=ax)
        poly = (1 - ls) * poly + ls * (num_classes - 1) / num_classes
    return reduce(ce + epsilon * poly, reduction, xp)
