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
from collections.abc import Sequence
from typing import Any

from ._compat import index_dtype, scalar_like, stop_gradient, take_along_axis
from ._examples import arrays, integers, normal, simplex
from ._namespace import Namespace, resolve
from ._primitives import max_along, nan_where, shifted_logsumexp
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    Rule,
    at_least,
    boolean,
    check_axis,
    check_same_shape,
    fmt_shape,
    in_interval,
    integer,
    is_eager,
    optional,
    swapped_hint,
    weights,
)

__all__ = [
    "categorical_cross_entropy",
    "cross_entropy",
    "js_div",
    "kl_div",
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


_SMOOTHING = in_interval(0.0, 1.0)
_CLASS_RULES: dict[str, Rule] = {
    "axis": integer,
    "ignore_index": optional(integer),
    "weight": weights(number=False),
}

# --- targets ----------------------------------------------------------------------------

# below this log-probability, log(1 - p) = log1p(-p) loses nothing (1 - p >= 1/4); above
# it, only one class of a row can be (two would sum past 1)
_LOG_THREE_QUARTERS = math.log(0.75)


def _is_zero(value: Any) -> bool:
    """True for a Python number equal to 0 (arrays count as nonzero: no value branching)."""
    return isinstance(value, (int, float)) and value == 0


def _is_index_target(logits: Any, target: Any, axis: int, xp: Any) -> bool:
    """True for integer class indices, False for probabilities; ValueError on bad shapes."""
    shape, t_shape = tuple(logits.shape), tuple(target.shape)
    index_shape = shape[:axis] + shape[axis + 1 :]
    if xp.isdtype(target.dtype, "integral"):
        if t_shape != index_shape:
            raise ValueError(
                f"class-index target must have the logits' shape without axis {axis}: "
                f"expected {fmt_shape(index_shape)} for logits {fmt_shape(shape)}; "
                f"got target {fmt_shape(t_shape)}"
            )
        return True
    if not xp.isdtype(target.dtype, "real floating"):
        raise ValueError(
            f"target must hold integer class indices or floating class probabilities; "
            f"got dtype {target.dtype}"
        )
    if t_shape != shape:
        hint = " (integer labels need an integer dtype)" if t_shape == index_shape else ""
        raise ValueError(
            f"probability target must have the logits' shape: logits {fmt_shape(shape)}, "
            f"target {fmt_shape(t_shape)}{hint}{swapped_hint(logits, target)}"
        )
    return False


def _labels(
    target: Any, ignore_index: int | None, num_classes: int, ns: Namespace
) -> tuple[Any, Any, Any]:
    """Labels in the indexing dtype, the keep mask (or None) and the unchecked-bad mask.

    Where values are checked (``is_eager``), labels outside ``[0, num_classes)`` that are
    not ``ignore_index`` raise ``ValueError`` and the bad mask is None. Where they are not
    (traced, lazy, an accelerator with checks off), the bad mask marks them: the loss
    gives NaN there (``nan_where``), never the loss of some other class. Ignored and bad
    labels are returned as 0, so every gather stays in range.
    """
    xp = ns.xp
    wanted = index_dtype(xp, ns.device)
    labels = target if target.dtype == wanted else xp.astype(target, wanted)
    keep = None if ignore_index is None else labels != ignore_index
    bad = None
    if not is_eager(labels):
        bad = xp.logical_or(labels < 0, labels >= num_classes)
        if keep is not None:
            bad = xp.logical_and(bad, keep)
    elif math.prod(labels.shape) > 0:
        _check_labels(labels, keep, ignore_index, num_classes, xp)
    drop = None if keep is None else xp.logical_not(keep)
    if bad is not None:
        drop = bad if drop is None else xp.logical_or(drop, bad)
    if drop is None:
        return labels, keep, None
    return xp.where(drop, xp.zeros_like(labels), labels), keep, bad


def _check_labels(
    labels: Any, keep: Any, ignore_index: int | None, num_classes: int, xp: Any
) -> None:
    bad = xp.logical_or(labels < 0, labels >= num_classes)
    if keep is not None:
        bad = xp.logical_and(bad, keep)
    if bool(xp.any(bad)):
        raise ValueError(
            f"class labels must lie in [0, {num_classes - 1}]"
            + ("" if ignore_index is None else f" or equal ignore_index={ignore_index}")
            + f"; got values from {int(xp.min(labels))} to {int(xp.max(labels))}"
        )


def _class_weight(weight: Any, num_classes: int, axis: int, ns: Namespace) -> Any:
    """``weight`` as a float array of length C, or ValueError naming both lengths."""
    if weight is None:
        return None
    if isinstance(weight, Sequence):
        weight = ns.constant(list(weight))
    if tuple(weight.shape) != (num_classes,):
        raise ValueError(
            f"weight must hold one value per class: length {num_classes} (the size of "
            f"logits along axis {axis}); got weight of shape {fmt_shape(weight.shape)}"
        )
    return ns.float(weight)


def _along(vector: Any, axis: int, ndim: int, xp: Any) -> Any:
    """A length-C vector reshaped to broadcast along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = vector.shape[0]
    return xp.reshape(vector, tuple(shape))


def _gather(x: Any, labels: Any, axis: int, xp: Any) -> Any:
    """``x[..., labels, ...]`` along ``axis``: the class-index picks, ``axis`` removed."""
    picked = take_along_axis(x, xp.expand_dims(labels, axis=axis), xp, axis=axis)
    return xp.squeeze(picked, axis=axis)


def _take_weight(weight: Any, labels: Any, xp: Any) -> Any:
    """The class weight of every label (same shape as ``labels``)."""
    flat = xp.take(weight, xp.reshape(labels, (-1,)), axis=0)
    return xp.reshape(flat, tuple(labels.shape))


def _weighted_reduce(
    per_sample: Any, reduction: str, xp: Any, keep: Any, target_weight: Any
) -> Any:
    """Reduce class-index losses: "mean" divides by the sum of the kept target weights."""
    if keep is not None:
        per_sample = xp.where(keep, per_sample, xp.zeros_like(per_sample))
    if reduction in ("none", "sum") or (keep is None and target_weight is None):
        return reduce(per_sample, reduction, xp)
    if target_weight is None:
        target_weight = xp.ones_like(per_sample)
    if keep is not None:
        target_weight = xp.where(keep, target_weight, xp.zeros_like(target_weight))
    return reduce(per_sample, reduction, xp, normalizer=xp.sum(target_weight))


def _times_log(t: Any, log_q: Any, xp: Any) -> Any:
    """``t * log_q`` with 0 where ``t == 0``, also where ``log_q`` is -inf (0·log 0 = 0)."""
    nonzero = t != 0
    return t * xp.where(nonzero, log_q, xp.zeros_like(log_q))


def _smooth(t: Any, label_smoothing: Any, num_classes: int) -> Any:
    """``(1 - ε) t + ε / C``: torch's, Keras's and Optax's label smoothing."""
    if _is_zero(label_smoothing):
        return t
    return t * (1 - label_smoothing) + label_smoothing / num_classes


def _index_cross_entropy(x: Any, log_s: Any, m: Any, labels: Any, axis: int, xp: Any) -> Any:
    """``-log p_y = log_s - (x_y - max)`` per sample, ``x_y`` gathered from the logits.

    ``x_y - max`` is the same rounding as ``z`` at ``y``, but taken after the gather, so
    XLA need not keep the ``(N, C)`` shifted logits for it.
    """
    shift = xp.squeeze(m, axis=axis)
    return xp.squeeze(log_s, axis=axis) - (_gather(x, labels, axis, xp) - shift)


def _soft_cross_entropy(z: Any, log_s: Any, t: Any, w: Any, axis: int, xp: Any) -> Any:
    """``-Σ_c w_c t_c log p_c`` per sample, as ``log_s Σ w t + Σ w t (-z)``.

    Both sums are non-negative (``log_s >= 0``, ``z <= 0``), so nothing cancels, and no
    ``(N, C)`` log-probabilities are formed (XLA fuses each sum into one pass). A class
    with ``w t = 0`` adds exactly 0, also where its logit is -inf (masked vocabulary).
    """
    wt = t if w is None else t * _along(w, axis, z.ndim, xp)
    mass = xp.sum(wt, axis=axis)
    return xp.squeeze(log_s, axis=axis) * mass - xp.sum(_times_log(wt, z, xp), axis=axis)


def _uniform_cross_entropy(z: Any, log_s: Any, w: Any, axis: int, xp: Any) -> Any:
    """``-Σ_c w_c log p_c`` per sample (the label-smoothing term), ``log_s Σ w - Σ w z``."""
    log_s = xp.squeeze(log_s, axis=axis)
    if w is None:
        return z.shape[axis] * log_s - xp.sum(z, axis=axis)
    return log_s * xp.sum(w) - xp.sum(z * _along(w, axis, z.ndim, xp), axis=axis)


def _masked_logsumexp(x: Any, xp: Any, *, axis: int) -> Any:
    """``logsumexp`` (keepdims) that is -inf with a zero gradient on an all -inf slice.

    The shift ``m`` cancels exactly; its gradient is stopped (see ``shifted_logsumexp``).
    A NaN in the slice gives NaN (``s != 0`` holds for NaN; ``s > 0`` would not).
    """
    m = stop_gradient(max_along(x, xp, axis=axis, keepdims=True))
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    s = xp.sum(xp.exp(x - m), axis=axis, keepdims=True)
    some = s != 0
    log_s = xp.where(some, xp.log(xp.where(some, s, xp.ones_like(s))), xp.full_like(s, -math.inf))
    return log_s + m


def _log1m_softmax(log_p: Any, xp: Any, *, axis: int) -> Any:
    """``log(1 - softmax)`` from the log-probabilities, finite in value and gradient.

    Where ``p <= 3/4``: ``log1p(-p)``. The one class of a row with ``p > 3/4`` (it can
    only be one) gets the log of the other classes' mass, a log-sum-exp of their
    log-probabilities: exact also when ``1 - p`` rounds to 0 (saturated logits).
    """
    small = log_p <= _LOG_THREE_QUARTERS
    direct = xp.log1p(-xp.exp(xp.where(small, log_p, xp.full_like(log_p, -1.0))))
    others = _masked_logsumexp(
        xp.where(small, log_p, xp.full_like(log_p, -math.inf)), xp, axis=axis
    )
    return xp.where(small, direct, others)


def _focal_factor(log1m_p: Any, gamma: Any, xp: Any) -> Any:
    """``(1 - p) ** gamma`` as ``exp(gamma * log(1 - p))``: finite gradient for gamma < 1."""
    return xp.exp(gamma * log1m_p)


def _setup(
    logits: Any, target: Any, weight: Any, axis: int, ignore_index: int | None
) -> tuple[Namespace, int, int, bool, Any]:
    """Resolve the namespace; return it, the axis, C, whether labels are indices, weight."""
    ns = resolve(logits, target, None if isinstance(weight, Sequence) else weight)
    ax = check_axis(axis, logits.ndim)
    num_classes = int(logits.shape[ax])
    index = _is_index_target(logits, target, ax, ns.xp)
    if not index and ignore_index is not None:
        raise ValueError(
            "ignore_index applies to class-index targets only; got a "
            "probability target (mask it with weight or zero rows instead)"
        )
    return ns, ax, num_classes, index, _class_weight(weight, num_classes, ax, ns)


# --- losses -----------------------------------------------------------------------------


_LOGITS_LABELS = arrays(normal(6, 5, scale=2.0), integers(6, high=5))


@loss(
    "classification", example=_LOGITS_LABELS, rules={**_CLASS_RULES, "label_smoothing": _SMOOTHING}
)
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
    ns, ax, num_classes, index, w = _setup(logits, target, weight, axis, ignore_index)
    xp = ns.xp
    x = ns.float(logits)
    z, log_s, m = shifted_logsumexp(x, xp, axis=ax)
    if not index:
        per_sample = _soft_cross_entropy(z, log_s, ns.float(target), w, ax, xp)
        if not _is_zero(label_smoothing):
            uniform = _uniform_cross_entropy(z, log_s, w, ax, xp)
            per_sample = (1 - label_smoothing) * per_sample + (
                label_smoothing / num_classes
            ) * uniform
        return reduce(per_sample, reduction, xp)
    labels, keep, bad = _labels(target, ignore_index, num_classes, ns)
    nll_y = _index_cross_entropy(x, log_s, m, labels, ax, xp)
    tw = None if w is None else _take_weight(w, labels, xp)
    per_sample = nll_y if tw is None else tw * nll_y
    if not _is_zero(label_smoothing):
        uniform = _uniform_cross_entropy(z, log_s, w, ax, xp)
        per_sample = (1 - label_smoothing) * per_sample + (label_smoothing / num_classes) * uniform
    return _weighted_reduce(nan_where(bad, per_sample, xp), reduction, xp, keep, tw)


@loss(
    "classification",
    example=arrays(lambda r: normal(6, 5)(r) - 3.0, integers(6, high=5)),
    rules=_CLASS_RULES,
)
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
    per_sample = -_gather(ns.float(log_probs), labels, ax, xp)
    tw = None if w is None else _take_weight(w, labels, xp)
    if tw is not None:
        per_sample = tw * per_sample
    return _weighted_reduce(nan_where(bad, per_sample, xp), reduction, xp, keep, tw)


@loss(
    "classification",
    example=arrays(simplex(6, 5), simplex(6, 5)),
    rules={"axis": integer, "eps": _open_interval(0.0, 0.5), "label_smoothing": _SMOOTHING},
)
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
        Probabilities, classes along ``axis``.
    target
        One-hot or soft target, ``probs``' shape.
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
    t = _smooth(t, label_smoothing, int(p.shape[ax]))
    p = xp.clip(
        p / xp.sum(p, axis=ax, keepdims=True), scalar_like(eps, p, xp), scalar_like(1 - eps, p, xp)
    )
    return reduce(-xp.sum(t * xp.log(p), axis=ax), reduction, xp)


@loss(
    "classification",
    example=arrays(normal(6, 5, scale=2.0), integers(6, high=5)),
    rules={**_CLASS_RULES, "gamma": at_least(0.0), "alpha": optional(at_least(0.0))},
)
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
    ns, ax, num_classes, index, w = _setup(logits, target, weight, axis, ignore_index)
    xp = ns.xp
    x = ns.float(logits)
    z, log_s, m = shifted_logsumexp(x, xp, axis=ax)
    log_p = z - log_s
    if index:
        labels, keep, bad = _labels(target, ignore_index, num_classes, ns)
        per_sample = _index_cross_entropy(x, log_s, m, labels, ax, xp)
        if not _is_zero(gamma):
            log1m_p = _gather(_log1m_softmax(log_p, xp, axis=ax), labels, ax, xp)
            per_sample = _focal_factor(log1m_p, gamma, xp) * per_sample
        tw = None if w is None else _take_weight(w, labels, xp)
        if tw is not None:
            per_sample = tw * per_sample
        if alpha is not None:
            per_sample = alpha * per_sample
        return _weighted_reduce(nan_where(bad, per_sample, xp), reduction, xp, keep, tw)
    t = ns.float(target)
    if _is_zero(gamma):  # the cross-entropy's own arithmetic: equal to it exactly
        per_sample = _soft_cross_entropy(z, log_s, t, w, ax, xp)
    else:
        factor = _focal_factor(_log1m_softmax(log_p, xp, axis=ax), gamma, xp)
        terms = -factor * _times_log(t, log_p, xp)
        if w is not None:
            terms = terms * _along(w, ax, x.ndim, xp)
        per_sample = xp.sum(terms, axis=ax)
    if alpha is not None:
        per_sample = alpha * per_sample
    return reduce(per_sample, reduction, xp)


@loss(
    "classification",
    example=_LOGITS_LABELS,
    rules={"axis": integer, "epsilon": at_least(-1.0), "label_smoothing": _SMOOTHING},
)
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
    x = ns.float(logits)
    z, log_s, _ = shifted_logsumexp(x, xp, axis=ax)
    log_p = z - log_s
    if not index:
        t = _smooth(ns.float(target), label_smoothing, num_classes)
        ce = -xp.sum(_times_log(t, log_p, xp), axis=ax)
        poly = xp.sum(t * -xp.expm1(log_p), axis=ax)
        return reduce(ce + epsilon * poly, reduction, xp)
    labels, _, bad = _labels(target, None, num_classes, ns)
    log_p_y = _gather(log_p, labels, ax, xp)
    ce, poly = -log_p_y, -xp.expm1(log_p_y)
    if not _is_zero(label_smoothing):
        ls = label_smoothing
        ce = (1 - ls) * ce - (ls / num_classes) * xp.sum(log_p, axis=ax)
        poly = (1 - ls) * poly + ls * (num_classes - 1) / num_classes
    return reduce(nan_where(bad, ce + epsilon * poly, xp), reduction, xp)


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
        log_t = t if log_target else None
        if log_target:
            t = xp.exp(t)
        nonzero = t != 0
        one = xp.ones_like(t)
        if log_t is None:
            log_t = xp.log(xp.where(nonzero, t, one))
        log_p = p if log_pred else xp.log(xp.where(nonzero, p, one))
        # double where: a zero target never lets log 0 (or a -inf log) into the value
        # or the gradient
        zero = xp.zeros_like(t)
        gap = xp.where(nonzero, log_t, zero) - xp.where(nonzero, log_p, zero)
    else:
        gap = _log_ratio(t, p, xp)
    return reduce(xp.sum(t * gap, axis=ax), reduction, xp)


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
