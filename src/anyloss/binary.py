"""Binary, multi-label and margin classification losses (see CATALOG.md, Classification).

Elementwise losses (``binary_cross_entropy``, ``binary_cross_entropy_with_logits``,
``sigmoid_focal``, ``binary_focal``, ``hinge``, ``squared_hinge``, ``soft_margin``) take
``pred`` and ``target`` of equal shape and return one value per element under
``reduction="none"``. ``categorical_hinge``, ``multi_margin`` and
``multilabel_soft_margin`` reduce over the class axis ``axis`` first and return one value
per sample; ``"mean"`` averages what ``"none"`` returns.

Logit-based losses share one ``exp`` and one ``log1p`` per element (``_Logistic``), so
logits of any finite size give finite values and gradients; the focal factors are
computed in log space.
"""

from __future__ import annotations

import math
from typing import Any

from ._classes import _along, _check_index_target, _class_weight, _labels, _take_weight
from ._compat import custom_gradient, pick_along_axis, positive_part, quiet_log, scalar_like
from ._namespace import Namespace, resolve, resolve_floats
from ._primitives import max_along, nan_where, relu, softplus
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    at_least,
    check_axis,
    check_broadcasts,
    check_probabilities,
    check_same_shape,
    greater_than,
    in_interval,
    integer,
    one_of,
    optional,
    weights,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "binary_focal",
    "categorical_hinge",
    "hinge",
    "multi_margin",
    "multilabel_soft_margin",
    "sigmoid_focal",
    "soft_margin",
    "squared_hinge",
]

_LOG_CLAMP = -100.0  # torch's floor on log(p) and log(1 - p) in binary_cross_entropy
_LOG_CLAMP_EDGE = {32: 26 * 2.0**-149, 64: math.exp(_LOG_CLAMP)}
"""Per float width, the largest ``p`` whose log is clamped, ``<= e^-100``: below it the
gradient of ``max(log p, -100)`` is 0 (float32: a subnormal, ``26 · 2^-149``)."""
_FOCAL_EPSILON = 1e-7  # the focal-loss package's probability floor (Keras epsilon)


# --- hyperparameter rules ----------------------------------------------------------------


_CLASS_WEIGHT = weights(number=False)
_WEIGHT = weights(number=True)


# --- shared pieces -----------------------------------------------------------------------


def _arrays_only(*weights: Any) -> list[Any]:
    """The weights that are arrays (Python sequences are converted later, in the namespace)."""
    return [w for w in weights if not isinstance(w, (list, tuple))]


def _as_array(w: Any, ns: Namespace) -> Any:
    """A Python sequence of weights as a float array of the inputs' namespace; else ``w``."""
    return ns.constant(list(w)) if isinstance(w, (list, tuple)) else w


def _broadcast_weight(w: Any, shape: tuple[int, ...], ns: Namespace, name: str) -> Any:
    """``w`` (a number or an array broadcastable to ``shape``) in the float dtype.

    Broadcasting follows torch's rule (trailing axes aligned, each of size 1 or equal), but
    the loss never grows: a ``w`` whose broadcast would enlarge ``shape`` is an error.
    """
    if w is None:
        return None
    if isinstance(w, bool):
        raise ValueError(f"{name} must be a number or an array; got {w!r}")
    if isinstance(w, (int, float)):
        return w
    w = _as_array(w, ns)
    check_broadcasts(name, w, shape, "pred")
    return ns.float(w)


def _clamped_logs(p: Any, xp: Any) -> tuple[Any, Any]:
    """``max(log p, -100)`` and ``max(log(1 - p), -100)``, torch's clamped logs.

    A log of 0 is -inf, clamped (``quiet_log``: no NumPy warning); NaN stays NaN, and a
    ``p`` outside [0, 1] (unchecked, e.g. compiled) gives NaN. The gradient is
    ``_bce_gradient``'s, not autograd's of these (whose log of 0 would make it NaN).
    """
    floor = scalar_like(_LOG_CLAMP, p, xp)
    log_p = xp.maximum(quiet_log(p, xp), floor)
    return log_p, xp.maximum(quiet_log(p, xp, one_minus=True), floor)


def _bce_value(p: Any, t: Any, xp: Any) -> tuple[Any, tuple[Any, ...]]:
    """``-(t log p + (1 - t) log(1 - p))``, the logs clamped, as ``(t - 1) log(1 - p) -
    t log p``: the same rounding (negation is exact), one operation fewer."""
    log_p, log_q = _clamped_logs(p, xp)
    return (t - 1) * log_q - t * log_p, ()


def _bce_gradient(p: Any, t: Any, g: Any, wanted: tuple[bool, ...], xp: Any) -> tuple[Any, Any]:
    """The gradients of ``_bce_value`` (w.r.t. ``p`` and ``t``), each only where wanted.

    By hand because autograd through the clamps stores or recomputes them (compiled
    forward+backward took 2.6x torch's; this compiles to torch's speed) and meets a log
    of 0 (a NaN gradient) where the clamp is active.
    """
    return (
        _bce_pred_gradient(p, t, g, xp) if wanted[0] else None,
        g * _bce_target_derivative(p, xp) if wanted[1] else None,
    )


def _bce_pred_gradient(p: Any, t: Any, g: Any, xp: Any) -> Any:
    """``g`` times ``-t/p + (1 - t)/(1 - p)``, each term 0 where its log is clamped: the
    derivative of the clamped formula, with one division.

    Where neither log is clamped it is ``g (p - t) / (p (1 - p))`` (``p - t`` exact where
    the two terms would cancel); where ``log p`` is (``p <= e^-100``) the second term
    alone, ``g (1 - t)`` (``1 - p`` rounds to 1 there); where ``log(1 - p)`` is (``p = 1``)
    the first, ``-g t``. NaN gives NaN. In float32 ``p`` reaches the clamp edge only
    among subnormals, where ``1/p`` overflows: there ``p (1 - p)`` is floored at the
    smallest normal number (a gradient of at most ~8.5e37 g, finite; torch floors it at
    1e-12 everywhere).

    ``g`` multiplies inside each branch, not the derivative as a whole: under
    ``torch.compile`` a derivative free of ``g`` was computed in the forward pass and
    saved, one more full-size buffer per step than saving ``p`` and ``t`` (1.2-1.3x
    torch's time from 1M elements).
    """
    edge = scalar_like(_LOG_CLAMP_EDGE[xp.finfo(p.dtype).bits], p, xp)
    at_one = p >= 1
    inside = xp.logical_not(xp.logical_or(p <= edge, at_one))
    tiny = scalar_like(xp.finfo(p.dtype).smallest_normal, p, xp)
    spread = xp.maximum(p * (1 - p), tiny)  # float32's subnormal p: -t/p would overflow
    return xp.where(inside, g * (p - t) / spread, g * xp.where(at_one, -t, 1 - t))


def _bce_target_derivative(p: Any, xp: Any) -> Any:
    """``max(log(1 - p), -100) - max(log p, -100)``."""
    log_p, log_q = _clamped_logs(p, xp)
    return log_q - log_p


class _Logistic:
    """The pieces of ``log σ(±z)`` shared by the logit losses, each computed once.

    ``softplus(±z) = relu(±z) + log1p(e^{-|z|})``: one ``exp`` and one ``log1p`` per
    element, finite for every finite ``z``. ``|z|`` and the ``relu`` parts are *selected*
    with one mask ``z > 0``, never computed as ``(z + |z|) / 2`` or with ``maximum``:

    - every gradient path is an exact 0 or ±1, so where a loss is tiny (a saturated right
      answer) no two O(1) gradient terms cancel around its tiny slope;
    - at ``z = 0`` every piece takes the same side (``|z| = -z``), so the pieces' kinks
      cancel exactly and the slope there is the true one on every backend, whatever its
      convention for ``abs``'s or ``maximum``'s gradient at 0.
    """

    def __init__(self, z: Any, xp: Any) -> None:
        self.z, self.xp = z, xp
        self.positive = z > 0
        self.neg_z = -z
        self.exp_neg_abs = xp.exp(xp.where(self.positive, self.neg_z, z))
        self.log1p_term = xp.log1p(self.exp_neg_abs)

    def bce(self, t: Any, pos_weight: Any = None) -> Any:
        """``-[w+ t log σ(z) + (1 - t) log σ(-z)]`` as a sum of non-negative terms.

        ``(w+ t + 1 - t) log1p(e^{-|z|}) + w+ t relu(-z) + (1 - t) relu(z)``, the relu
        part selected by the sign of ``z``: no cancellation, so tiny losses keep full
        relative precision.
        """
        xp, neg = self.xp, 1 - t
        if pos_weight is None:
            return self.log1p_term + xp.where(self.positive, neg * self.z, t * self.neg_z)
        pos = pos_weight * t
        relu_part = xp.where(self.positive, neg * self.z, pos * self.neg_z)
        return (pos + neg) * self.log1p_term + relu_part

    def log_one_minus_pt(self, t: Any) -> Any:
        """``log(1 - p_t) = log(t σ(-z) + (1 - t) σ(z))`` for targets ``t`` in [0, 1].

        ``= -log1p(e^{-|z|}) + log(t e^{-relu(z)} + (1 - t) e^{-relu(-z)})``. For ``t`` in
        {0, 1} that log is ``-[t relu(z) + (1 - t) relu(-z)]``, taken analytically: exact
        and finite however saturated ``z`` is. For soft ``t`` the sum is at least
        ``min(t, 1 - t)`` (one exponent is 0), so its log is finite too. Double where: the
        soft branch's log only ever sees soft targets.
        """
        xp, e, neg = self.xp, self.exp_neg_abs, 1 - t
        soft = xp.logical_and(t > 0, t < 1)
        total = xp.where(self.positive, t * e + neg, t + neg * e)
        soft_log = xp.log(xp.where(soft, total, xp.ones_like(total)))
        binary_log = xp.where(self.positive, t * self.neg_z, neg * self.z)
        return xp.where(soft, soft_log, binary_log) - self.log1p_term


# --- binary cross-entropy ----------------------------------------------------------------


@loss(rules={"weight": _WEIGHT})
def binary_cross_entropy(
    pred: Array, target: Array, *, weight: Any = None, reduction: Reduction = "mean"
) -> Array:
    r"""Binary cross-entropy on probabilities, with torch's log clamp.

    .. math:: \ell = -w\,\big[t \max(\log p, -100) + (1 - t)\max(\log(1 - p), -100)\big]

    Matches ``torch.nn.functional.binary_cross_entropy``. The clamp keeps probabilities of
    exactly 0 and 1 finite (a confident wrong answer costs 100); where it is active the
    gradient w.r.t. ``pred`` is 0 (the derivative of the clamped formula; torch's own
    backward uses ``(p - t) / max(p (1 - p), 1e-12)`` instead). That derivative,
    ``-t/p + (1 - t)/(1 - p)`` less its clamped terms, is written out
    (``_compat.custom_gradient``), so ``torch.compile`` and ``jax.jit`` fuse it as they
    fuse torch's. Where values are not checked, a ``pred`` outside [0, 1] gives NaN.

    Parameters
    ----------
    pred
        Probabilities in [0, 1] (checked on eager arrays: ``ValueError`` otherwise).
    target
        Targets in [0, 1], the shape of ``pred`` (checked likewise).
    weight
        Optional rescaling: a number, or an array that broadcasts to ``pred``'s shape
        (trailing axes aligned, each of size 1 or equal, at most ``pred.ndim`` axes), as
        torch's; any other shape is a ``ValueError`` naming both shapes.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).

    References
    ----------
    Cox, "The Regression Analysis of Binary Sequences", J. R. Stat. Soc. B, 1958.
    """
    ns = resolve(pred, target, *_arrays_only(weight))
    check_same_shape(pred, target, "pred", "target")
    xp, p, t = ns.xp, ns.float(pred), ns.float(target)
    check_probabilities(xp, pred=p, target=t)
    w = _broadcast_weight(weight, tuple(p.shape), ns, "weight")

    def value(p: Any, t: Any) -> tuple[Any, tuple[Any, ...]]:
        return _bce_value(p, t, xp)

    def gradient(arrays: Any, saved: Any, g: Any, wanted: tuple[bool, ...]) -> tuple[Any, ...]:
        probabilities, targets = arrays
        return _bce_gradient(probabilities, targets, g, wanted, xp)

    out = custom_gradient(value, gradient, p, t)
    if w is not None:
        out = out * w
    return reduce(out, reduction, xp)


@loss(rules={"weight": _WEIGHT, "pos_weight": _WEIGHT})
def binary_cross_entropy_with_logits(
    pred: Array,
    target: Array,
    *,
    weight: Any = None,
    pos_weight: Any = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Binary cross-entropy on logits.

    .. math:: \ell = w\,\big[w_+\, t \operatorname{softplus}(-z)
              + (1 - t)\operatorname{softplus}(z)\big]
              = -w\,\big[w_+\, t \log\sigma(z) + (1 - t)\log\sigma(-z)\big]

    Matches ``torch.nn.functional.binary_cross_entropy_with_logits`` and (without weights)
    ``optax.sigmoid_binary_cross_entropy``. Finite in value and gradient for any finite
    logit; written so that no two large terms cancel.

    Parameters
    ----------
    pred
        Logits ``z``.
    target
        Targets ``t`` in [0, 1], the shape of ``pred``.
    weight
        Optional rescaling of every term: a number, or an array that broadcasts to
        ``pred``'s shape (trailing axes aligned, each of size 1 or equal, at most
        ``pred.ndim`` axes).
    pos_weight
        Optional weight ``w+`` of the positive term, under the same rule: typically one
        per class, shape ``(C,)`` against ``(N, C)``, or ``(C, 1, 1)`` against
        ``(C, H, W)``. A shape whose broadcast would enlarge ``pred`` is a ``ValueError``.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).

    References
    ----------
    Cox, "The Regression Analysis of Binary Sequences", J. R. Stat. Soc. B, 1958.
    """
    ns = resolve(pred, target, *_arrays_only(weight, pos_weight))
    check_same_shape(pred, target, "pred", "target")
    xp, z, t = ns.xp, ns.float(pred), ns.float(target)
    w = _broadcast_weight(weight, tuple(z.shape), ns, "weight")
    pw = _broadcast_weight(pos_weight, tuple(z.shape), ns, "pos_weight")
    out = _Logistic(z, xp).bce(t, pw)
    if w is not None:
        out = out * w
    return reduce(out, reduction, xp)


# --- focal losses ------------------------------------------------------------------------


@loss(rules={"alpha": optional(in_interval(0.0, 1.0)), "gamma": at_least(0.0)})
def sigmoid_focal(
    pred: Array,
    target: Array,
    *,
    alpha: float | None = 0.25,
    gamma: float = 2.0,
    reduction: Reduction = "mean",
) -> Array:
    r"""Sigmoid focal loss on logits.

    .. math:: \ell = \alpha_t\,(1 - p_t)^\gamma\,\mathrm{BCE}(z, t),\quad
              p_t = t\,\sigma(z) + (1 - t)(1 - \sigma(z)),\quad
              \alpha_t = \alpha t + (1 - \alpha)(1 - t)

    Matches ``torchvision.ops.sigmoid_focal_loss`` (whose ``alpha=-1`` is ``alpha=None``
    here) and ``optax.sigmoid_focal_loss`` (whose default is ``alpha=None``). The factor
    :math:`(1 - p_t)^\gamma` is computed as :math:`\exp(\gamma \log(1 - p_t))` with
    :math:`\log(1 - p_t)` from log-sigmoids, so ``gamma < 1`` and saturated logits give
    finite gradients (the plain power gives NaN there). Soft targets in [0, 1] work.

    Parameters
    ----------
    pred
        Logits ``z``.
    target
        Targets in [0, 1], the shape of ``pred``.
    alpha
        Weight of the positive class, in [0, 1]; ``None`` turns the weighting off.
    gamma
        Focusing exponent, >= 0 (0 gives ``alpha_t``-weighted cross-entropy).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, "Focal Loss for Dense Object Detection", ICCV 2017.
    """
    ns, (z, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    logistic = _Logistic(z, xp)
    out = logistic.bce(t)
    if gamma != 0:
        out = out * xp.exp(gamma * logistic.log_one_minus_pt(t))
    if alpha is not None:
        out = out * (alpha * t + (1 - alpha) * (1 - t))
    return reduce(out, reduction, xp)


@loss(
    rules={
        "gamma": at_least(0.0),
        "pos_weight": optional(greater_than(0.0)),
        "label_smoothing": optional(in_interval(0.0, 1.0)),
    },
)
def binary_focal(
    pred: Array,
    target: Array,
    *,
    gamma: float = 2.0,
    pos_weight: float | None = None,
    label_smoothing: float | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Binary focal loss on probabilities, as the focal-loss package computes it.

    .. math:: \ell = -\big[t'\,w_+ (1 - p)^\gamma \log p + (1 - t')\,p^\gamma \log(1 - p)\big]

    with ``p`` floored at :math:`10^{-7}` and ``1 - p`` floored at :math:`10^{-7}` (the
    package clamps both, so the clip is :math:`[10^{-7}, 1 - 10^{-7}]`), and
    :math:`t' = (1 - s)\,t + s/2` under ``label_smoothing=s`` (targets move toward 0.5).

    Matches ``focal_loss.BinaryFocalLoss`` (the focal-loss package) on targets in
    {0, 1}. For soft targets without smoothing the package casts targets to bool
    (any nonzero target counts as positive); anyloss mixes the two terms linearly instead.
    The powers are taken as ``exp(gamma * log(.))`` of the floored values, finite in
    value and gradient for ``gamma < 1`` and probabilities of exactly 0 and 1.

    Parameters
    ----------
    pred
        Probabilities of the positive class.
    target
        Targets in {0, 1} (or soft, see above), the shape of ``pred``. Both in [0, 1]
        (checked on eager arrays: ``ValueError`` otherwise).
    gamma
        Focusing exponent, >= 0.
    pos_weight
        Optional scalar > 0 that scales the positive term.
    label_smoothing
        ``None`` (default) or a number in [0, 1].
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, "Focal Loss for Dense Object Detection", ICCV 2017.
    """
    ns = resolve(pred, target, pos_weight)
    check_same_shape(pred, target, "pred", "target")
    xp, p, t = ns.xp, ns.float(pred), ns.float(target)
    check_probabilities(xp, pred=p, target=t)
    floor = scalar_like(_FOCAL_EPSILON, p, xp)
    log_p = xp.log(xp.maximum(p, floor))
    log_q = xp.log(xp.maximum(1 - p, floor))
    pos = -log_p if gamma == 0 else -xp.exp(gamma * log_q) * log_p
    neg = -log_q if gamma == 0 else -xp.exp(gamma * log_p) * log_q
    if pos_weight is not None:
        pos = pos * ns.float(pos_weight)
    if label_smoothing is not None:
        t = (1 - label_smoothing) * t + 0.5 * label_smoothing
    return reduce(t * pos + (1 - t) * neg, reduction, xp)


# --- margin losses -----------------------------------------------------------------------


@loss()
def hinge(pred: Array, target: Array, *, reduction: Reduction = "mean") -> Array:
    r"""Hinge loss, :math:`\ell = \max(0, 1 - t\,s)`, for targets in {-1, +1}.

    Matches ``keras.losses.Hinge`` on ±1 targets under ``"mean"`` (Keras also converts
    {0, 1} targets to ±1; anyloss does not: the formula is applied as given).

    Parameters
    ----------
    pred
        Scores ``s``.
    target
        Targets in {-1, +1}, the shape of ``pred``.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).

    References
    ----------
    Cortes & Vapnik, "Support-Vector Networks", Machine Learning, 1995.
    """
    ns, (s, t) = resolve_floats(pred, target, names=("pred", "target"))
    return reduce(relu(1 - t * s, ns.xp), reduction, ns.xp)


@loss()
def squared_hinge(pred: Array, target: Array, *, reduction: Reduction = "mean") -> Array:
    r"""Squared hinge loss, :math:`\ell = \max(0, 1 - t\,s)^2`, for targets in {-1, +1}.

    Matches ``keras.losses.SquaredHinge`` on ±1 targets under ``"mean"`` ({0, 1}
    targets are not converted).

    Parameters
    ----------
    pred
        Scores ``s``.
    target
        Targets in {-1, +1}, the shape of ``pred``.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).

    References
    ----------
    Tang, "Deep Learning using Linear Support Vector Machines", ICML Workshop on
    Representation Learning, 2013.
    """
    ns, (s, t) = resolve_floats(pred, target, names=("pred", "target"))
    return reduce(ns.xp.square(relu(1 - t * s, ns.xp)), reduction, ns.xp)


@loss(rules={"axis": integer})
def categorical_hinge(
    pred: Array, target: Array, *, axis: int = -1, reduction: Reduction = "mean"
) -> Array:
    r"""Categorical (Crammer–Singer style) hinge loss for one-hot targets, per sample.

    .. math:: \ell = \max\big(0,\ 1 + \max_c\,(1 - t_c)\,s_c - \textstyle\sum_c t_c s_c\big)

    Matches ``keras.losses.CategoricalHinge``, including its detail that the "negative"
    maximum runs over ``(1 - t) s`` for every class, so the true class contributes a 0
    (the negative score is never below 0).

    Parameters
    ----------
    pred
        Scores, classes along ``axis``.
    target
        One-hot (or soft) targets, the shape of ``pred``.
    axis
        The class axis (default -1; 1 for torch's channels-first layout).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample: ``pred``'s
        shape without ``axis``).

    References
    ----------
    Crammer & Singer, "On the Algorithmic Implementation of Multiclass Kernel-based
    Vector Machines", JMLR, 2001.
    """
    ns, (s, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    ax = check_axis(axis, s.ndim)
    positive = xp.sum(t * s, axis=ax)
    negative = max_along((1 - t) * s, xp, axis=ax)
    return reduce(relu(negative - positive + 1, xp), reduction, xp)


@loss(
    labels=(1,),
    rules={
        "axis": integer,
        "p": one_of(1, 2),
        "margin": at_least(0.0),
        "weight": _CLASS_WEIGHT,
    },
)
def multi_margin(
    pred: Array,
    target: Array,
    *,
    axis: int = -1,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Multi-class margin loss (Weston–Watkins) for integer class indices, per sample.

    .. math:: \ell = \frac{w_y}{C} \sum_{c \ne y} \max(0,\ m - s_y + s_c)^p

    Matches ``torch.nn.functional.multi_margin_loss`` (``"mean"`` averages the
    per-sample losses; ``"sum"`` sums them). The true-class score is picked with
    ``_compat.pick_along_axis`` (a gather; while torch compiles, a comparison with the
    class positions, which inductor fuses into the hinge loop). At a hinge's kink
    the gradient is 0, as torch's kernel's (``_compat.positive_part``). On CPU torch
    tensors with finite scores and weights, torch's own kernel serves the call
    (``_delegation``).

    Parameters
    ----------
    pred
        Scores, ``C`` classes along ``axis``.
    target
        Integer class indices in ``[0, C)``, ``pred``'s shape without ``axis``. Out-of-range
        indices raise ``ValueError`` where values are checked; elsewhere (``jax.jit``,
        ``torch.compile``, dask, accelerators with checks off) their samples give NaN.
    axis
        The class axis (default -1).
    p
        1 or 2: the power of each hinge term.
    margin
        ``m``, >= 0.
    weight
        Optional per-class weights, shape ``(C,)`` exactly (``ValueError`` otherwise).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Weston & Watkins, "Support Vector Machines for Multi-Class Pattern Recognition",
    ESANN 1999.
    """
    ns = resolve(pred, target, *_arrays_only(weight))
    xp, s = ns.xp, ns.float(pred)
    ax = check_axis(axis, s.ndim)
    _check_index_target(s, target, ax, xp)
    classes = s.shape[ax]
    labels, _, bad = _labels(target, None, classes, ns)  # bad labels: picked in range, NaN
    s_true = pick_along_axis(s, labels, xp, axis=ax)
    terms = positive_part(margin + (s - s_true), xp)  # the true class gives exactly `margin`
    own = relu(margin + xp.zeros((), dtype=ns.dtype, device=ns.device), xp)
    if p == 2:
        terms, own = xp.square(terms), xp.square(own)
    out = (xp.sum(terms, axis=ax) - own) / classes
    if weight is not None:
        out = out * _take_weight(_class_weight(weight, classes, ax, ns), labels, xp)
    return reduce(nan_where(bad, out, xp), reduction, xp)


@loss()
def soft_margin(pred: Array, target: Array, *, reduction: Reduction = "mean") -> Array:
    r"""Soft-margin (logistic) loss, :math:`\ell = \log(1 + e^{-t s})`, targets in {-1, +1}.

    Matches ``torch.nn.functional.soft_margin_loss``, computed as
    :math:`\operatorname{softplus}(-t s)`: finite where torch's literal
    ``log1p(exp(-t s))`` overflows (``t s`` below about -89 in float32, -710 in float64).

    Parameters
    ----------
    pred
        Scores ``s``.
    target
        Targets in {-1, +1}, the shape of ``pred``.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).

    References
    ----------
    Zhang, "Statistical Behavior and Consistency of Classification Methods based on
    Convex Risk Minimization", Ann. Statist., 2004.
    """
    ns, (s, t) = resolve_floats(pred, target, names=("pred", "target"))
    return reduce(softplus(-t * s, ns.xp), reduction, ns.xp)


@loss(rules={"axis": integer, "weight": _CLASS_WEIGHT})
def multilabel_soft_margin(
    pred: Array, target: Array, *, axis: int = -1, weight: Any = None, reduction: Reduction = "mean"
) -> Array:
    r"""Multi-label one-vs-all logistic loss, averaged over classes, per sample.

    .. math:: \ell = \frac{1}{C}\sum_c w_c\big[t_c \operatorname{softplus}(-z_c)
              + (1 - t_c)\operatorname{softplus}(z_c)\big]

    Matches ``torch.nn.functional.multilabel_soft_margin_loss`` (whose class axis is the
    last one; ``axis`` picks another).

    Parameters
    ----------
    pred
        Logits, ``C`` classes along ``axis``.
    target
        Multi-hot targets in [0, 1], the shape of ``pred``.
    axis
        The class axis (default -1).
    weight
        Optional per-class weights, shape ``(C,)`` exactly (``ValueError`` otherwise).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample: ``pred``'s
        shape without ``axis``).

    References
    ----------
    Zhang & Zhou, "A Review on Multi-Label Learning Algorithms", IEEE TKDE, 2014.
    """
    ns = resolve(pred, target, *_arrays_only(weight))
    check_same_shape(pred, target, "pred", "target")
    xp, z, t = ns.xp, ns.float(pred), ns.float(target)
    ax = check_axis(axis, z.ndim)
    classes = z.shape[ax]
    out = _Logistic(z, xp).bce(t)
    if weight is not None:
        out = out * _along(_class_weight(weight, classes, ax, ns), ax, z.ndim, xp)
    return reduce(xp.sum(out, axis=ax) / classes, reduction, xp)
