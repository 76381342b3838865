"""Segmentation losses: soft overlap scores and the Lovász extensions of the IoU.

Overlap losses (``dice``, ``jaccard``, ``tversky``, ``focal_tversky``) take soft masks:
``pred`` probabilities and ``target`` in [0, 1] of equal shape. ``axis=None`` pools every
element into one score; a tuple of axes (say the spatial axes of ``(N, H, W)``) sums over
those axes and gives one score per remaining index, which ``reduction`` then reduces
(``"none"`` returns the scores, a 0-d array when ``axis=None``).

The Lovász losses sort the errors of each image (or of the whole batch) with ``argsort``,
gather with ``take`` and accumulate with ``cumulative_sum``: no Python loop over pixels,
so they trace under ``jax.jit`` and stay lazy on dask (whose ``argsort`` puts each sorted
row into one chunk).

Half-precision inputs are summed and sorted in float32 and the loss is cast back, so
sums over large masks do not overflow float16.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._classes import _check_index_target, _labels
from ._compat import absolute, cumulative_sum, device_of, positive_part, scalar_like
from ._namespace import Namespace, resolve, resolve_floats
from ._primitives import max_along, nan_where, safe_div
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    at_least,
    boolean,
    check_axis,
    check_probabilities,
    check_values,
    greater_than,
    integer,
)

__all__ = [
    "dice",
    "focal_tversky",
    "generalized_dice",
    "jaccard",
    "lovasz_hinge",
    "lovasz_softmax",
    "tversky",
]


# --- hyperparameter rules ----------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _axes(name: str, value: Any) -> None:
    """Rule: ``None``, an integer, or a tuple/list of distinct integers."""
    if value is None or _is_int(value):
        return
    if isinstance(value, (tuple, list)) and all(_is_int(a) for a in value):
        if len(set(value)) != len(value):
            raise ValueError(f"{name} repeats an axis; got {value!r}")
        return
    raise ValueError(f"{name} must be None, an integer or a tuple of integers; got {value!r}")


# --- shared helpers ----------------------------------------------------------------------


def _normalize_axes(
    axis: int | Sequence[int] | None, ndim: int, name: str = "axis"
) -> tuple[int, ...] | None:
    """``axis`` as a sorted tuple of non-negative axes (``None`` stays ``None``)."""
    if axis is None:
        return None
    raw: tuple[Any, ...] = (axis,) if _is_int(axis) else tuple(axis)  # type: ignore[arg-type]
    axes = tuple(check_axis(int(a), ndim, name) for a in raw)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}={axis!r} names the same axis twice for {ndim} dimensions")
    return tuple(sorted(axes))


def _sum(x: Any, axes: tuple[int, ...] | None, xp: Any, *, keepdims: bool = False) -> Any:
    """``sum`` over ``axes``; an empty tuple sums over nothing (torch would sum over all)."""
    if axes == ():
        return x
    return xp.sum(x, axis=axes, keepdims=keepdims)


def _penalty_ratio(penalty: Any, den: Any, xp: Any) -> Any:
    """A loss ``1 - num / den`` written as ``(den - num) / den = penalty / den``.

    Written this way a perfect match is exactly 0 on every backend (``1 - x / x`` is not
    where the division is a multiplication by a reciprocal, as in XLA on GPUs).
    ``den >= smooth`` for inputs in [0, 1]; a zero ``den`` (nothing to compare, with
    ``smooth = 0`` or a ``smooth`` too small for the dtype, which rounds to 0) gives 0.
    The test is on the rounded array ``den``, never on the Python ``smooth``.
    """
    return safe_div(penalty, den, xp)


def _reduce_scores(scores: Any, reduction: str, ns: Namespace) -> Any:
    """``reduce`` in the input dtype; one 0-d score (``axis=None``) is its own mean and sum."""
    if scores.ndim != 0:
        scores = reduce(scores, reduction, ns.xp)
    return ns.narrow(scores)


def _overlap_input(pred: Any, target: Any, axis: Any) -> tuple[Namespace, Any, Any, Any]:
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    check_probabilities(ns.xp, pred=p, target=t)
    p, t = ns.widen(p), ns.widen(t)
    return ns, p, t, _normalize_axes(axis, p.ndim)


def _tversky_base(
    p: Any, t: Any, axes: Any, alpha: float, beta: float, smooth: float, xp: Any
) -> Any:
    """``1 - TI`` written as ``(αFP + βFN) / (TP + αFP + βFN + smooth)``.

    FP and FN are sums of ``p - pt`` and ``t - pt``, non-negative term by term for inputs
    in [0, 1], so the result is never negative from rounding (which would make
    ``focal_tversky``'s power NaN) and keeps its precision near a perfect score.
    """
    pt = p * t
    tp = _sum(pt, axes, xp)
    penalty = alpha * _sum(p - pt, axes, xp) + beta * _sum(t - pt, axes, xp)
    return _penalty_ratio(penalty, tp + penalty + smooth, xp)


_SMOOTH = {"smooth": at_least(0.0), "axis": _axes}


# --- overlap losses ----------------------------------------------------------------------


@loss(rules=_SMOOTH)
def dice(
    pred: Array,
    target: Array,
    *,
    smooth: float = 1.0,
    axis: int | tuple[int, ...] | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Soft Dice loss.

    .. math:: \ell = 1 - \frac{2\sum p t + s}{\sum p + \sum t + s}

    the sums running over ``axis`` (every element when ``None``). With ``smooth=0`` this
    is ``keras.losses.Dice`` (whose ``axis`` means the same); where ``smooth=0`` and
    both masks are empty (0/0) the loss is 0. An all-empty prediction and target give 0
    for any ``smooth > 0``; an empty target with a non-empty prediction gives
    :math:`1 - s / (\sum p + s) > 0`. ``optax.losses.dice_loss`` adds its ``smooth`` to
    :math:`\sum pt` rather than to :math:`2\sum pt`: its ``smooth=s`` is this loss's
    ``smooth=2s``.

    Parameters
    ----------
    pred, target
        Soft masks of equal shape: probabilities and targets in [0, 1] (checked on
        eager arrays: ``ValueError`` otherwise).
    smooth
        Added to numerator and denominator; must be >= 0.
    axis
        ``None`` (one score for everything), an axis or a tuple of axes to sum over: one
        score per remaining index.
    reduction
        ``"mean"`` (default) or ``"sum"`` of the scores, or ``"none"`` (the scores; a
        0-d array for ``axis=None``).

    References
    ----------
    Milletari, Navab & Ahmadi, "V-Net: Fully Convolutional Neural Networks for Volumetric
    Medical Image Segmentation", 3DV 2016.
    """
    ns, p, t, axes = _overlap_input(pred, target, axis)
    xp = ns.xp
    inter = _sum(p * t, axes, xp)
    total = _sum(p, axes, xp) + _sum(t, axes, xp)
    loss_ = _penalty_ratio(total - 2 * inter, total + smooth, xp)
    return _reduce_scores(loss_, reduction, ns)


@loss(rules=_SMOOTH)
def jaccard(
    pred: Array,
    target: Array,
    *,
    smooth: float = 1.0,
    axis: int | tuple[int, ...] | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Soft Jaccard (IoU) loss.

    .. math:: \ell = 1 - \frac{\sum p t + s}{\sum p + \sum t - \sum p t + s}

    over ``axis`` as in :func:`dice`; it equals :func:`tversky` with ``alpha = beta = 1``.
    0/0 (``smooth=0``, both masks empty) gives 0.

    Parameters
    ----------
    pred, target
        Soft masks of equal shape, as in :func:`dice`: in [0, 1] (checked on eager
        arrays: ``ValueError`` otherwise).
    smooth
        Added to numerator and denominator; must be >= 0.
    axis
        ``None`` or the axes to sum over (see :func:`dice`).

    References
    ----------
    Rahman & Wang, "Optimizing Intersection-Over-Union in Deep Neural Networks for Image
    Segmentation", ISVC 2016.
    """
    ns, p, t, axes = _overlap_input(pred, target, axis)
    xp = ns.xp
    inter = _sum(p * t, axes, xp)
    total = _sum(p, axes, xp) + _sum(t, axes, xp)
    loss_ = _penalty_ratio(total - 2 * inter, total - inter + smooth, xp)
    return _reduce_scores(loss_, reduction, ns)


@loss(rules={**_SMOOTH, "alpha": at_least(0.0), "beta": at_least(0.0)})
def tversky(
    pred: Array,
    target: Array,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = 1.0,
    axis: int | tuple[int, ...] | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Tversky loss: Dice with separate weights on false positives and false negatives.

    .. math:: \ell = 1 - \frac{TP + s}{TP + \alpha\,FP + \beta\,FN + s},\quad
              TP = \sum p t,\ FP = \sum p (1 - t),\ FN = \sum (1 - p) t

    over ``axis`` as in :func:`dice`. ``alpha`` weighs false positives (Salehi et al.);
    ``alpha = beta = 0.5`` with ``smooth = 0`` is :func:`dice`. ``keras.losses.Tversky``
    multiplies its ``alpha`` with FN, so it equals this loss with ``alpha`` and ``beta``
    swapped; ``optax.losses.dice_loss(alpha=, beta=, smooth=)`` computes this formula.
    0/0 (``smooth=0``, nothing to compare) gives 0.

    Parameters
    ----------
    pred, target
        Soft masks of equal shape, as in :func:`dice`: in [0, 1] (checked on eager
        arrays: ``ValueError`` otherwise).
    alpha, beta
        Weights of false positives and false negatives; must be >= 0.
    smooth
        Added to numerator and denominator; must be >= 0.
    axis
        ``None`` or the axes to sum over (see :func:`dice`).

    References
    ----------
    Salehi, Erdogmus & Gholipour, "Tversky loss function for image segmentation using 3D
    fully convolutional deep networks", MLMI 2017.
    """
    ns, p, t, axes = _overlap_input(pred, target, axis)
    base = _tversky_base(p, t, axes, alpha, beta, smooth, ns.xp)
    return _reduce_scores(base, reduction, ns)


@loss(rules={**_SMOOTH, "alpha": at_least(0.0), "beta": at_least(0.0), "gamma": greater_than(0.0)})
def focal_tversky(
    pred: Array,
    target: Array,
    *,
    alpha: float = 0.3,
    beta: float = 0.7,
    gamma: float = 0.75,
    smooth: float = 1.0,
    axis: int | tuple[int, ...] | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Focal Tversky loss, :math:`\ell = (1 - TI)^\gamma`.

    :math:`TI = (TP + s) / (TP + \alpha FP + \beta FN + s)` is the Tversky index of
    :func:`tversky` (same ``alpha``/``beta`` meaning; the defaults weigh false negatives
    more, as Abraham & Khan intend). With ``gamma < 1`` the gradient near a perfect score
    (``TI = 1``, e.g. both masks empty) is unbounded by the math; exactly there the power
    is taken through a double where, so the value is 0 and the gradient is the subgradient
    0 of that minimum (finite, never NaN).

    Parameters
    ----------
    pred, target
        Soft masks of equal shape, as in :func:`dice`: in [0, 1] (checked on eager
        arrays: ``ValueError`` otherwise).
    alpha, beta
        Weights of false positives and false negatives; must be >= 0.
    gamma
        The focal exponent; must be > 0.
    smooth
        Added to numerator and denominator; must be >= 0.
    axis
        ``None`` or the axes to sum over (see :func:`dice`).

    References
    ----------
    Abraham & Khan, "A Novel Focal Tversky Loss Function with Improved Attention U-Net for
    Lesion Segmentation", ISBI 2019.
    """
    ns, p, t, axes = _overlap_input(pred, target, axis)
    xp = ns.xp
    base = _tversky_base(p, t, axes, alpha, beta, smooth, xp)
    positive = xp.logical_not(base <= 0)  # NaN stays NaN
    safe = xp.where(positive, base, xp.ones_like(base))
    focal = xp.where(positive, xp.pow(safe, gamma), xp.zeros_like(base))
    return _reduce_scores(focal, reduction, ns)


# --- generalized Dice --------------------------------------------------------------------


@loss(rules={"smooth": at_least(0.0), "axis": _axes, "class_axis": integer})
def generalized_dice(
    pred: Array,
    target: Array,
    *,
    class_axis: int = -1,
    axis: int | tuple[int, ...] | None = None,
    smooth: float = 1e-5,
    reduction: Reduction = "mean",
) -> Array:
    r"""Generalized Dice loss with inverse squared class volumes as weights.

    .. math:: \ell = 1 - \frac{2 \sum_c w_c \sum p_c t_c + s}
              {\sum_c w_c (\sum p_c + \sum t_c) + s},\qquad w_c = \frac{1}{(\sum t_c)^2}

    A class absent from the target (infinite weight) takes the largest finite weight
    among the classes of its score, and when every class is absent the score is
    :math:`1 - s/s = 0`. This is ``monai.losses.GeneralizedDiceLoss`` (``w_type="square"``,
    ``smooth_nr = smooth_dr = smooth``): ``axis=None`` pools every axis but the class
    axis into one score (MONAI ``batch=True``); ``axis`` = the spatial axes gives one
    score per sample (MONAI ``batch=False``), which ``reduction`` reduces.

    Parameters
    ----------
    pred, target
        Class probabilities and one-hot (or soft) targets of equal shape, classes along
        ``class_axis``: ``(N, ..., C)`` with ``class_axis=-1``, ``(N, C, ...)`` with 1;
        both in [0, 1] (checked on eager arrays: ``ValueError`` otherwise).
    class_axis
        The class axis.
    axis
        ``None`` (every non-class axis) or the axes to sum over; must not contain
        ``class_axis``.
    smooth
        Added to numerator and denominator; must be >= 0. 0/0 gives 0.

    References
    ----------
    Sudre, Li, Vercauteren, Ourselin & Cardoso, "Generalised Dice overlap as a deep
    learning loss function for highly unbalanced segmentations", DLMIA 2017.
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    check_probabilities(xp, pred=p, target=t)
    p, t = ns.widen(p), ns.widen(t)
    k = check_axis(class_axis, p.ndim, "class_axis")
    axes = _normalize_axes(axis, p.ndim)
    if axes is None:
        axes = tuple(a for a in range(p.ndim) if a != k)
    elif k in axes:
        raise ValueError(f"axis={axis!r} contains the class axis (class_axis={class_axis})")
    inter = _sum(p * t, axes, xp, keepdims=True)
    volume = _sum(t, axes, xp, keepdims=True)
    union = volume + _sum(p, axes, xp, keepdims=True)
    empty = volume == 0
    inv = 1 / xp.where(empty, xp.ones_like(volume), volume)
    weight = inv * inv
    absent = xp.logical_or(empty, xp.isinf(weight))  # MONAI: 1 / volume² is inf
    weight = xp.where(absent, xp.zeros_like(weight), weight)
    weight = xp.where(absent, max_along(weight, xp, axis=k, keepdims=True), weight)
    # 1 - (2 Σ w I + s) / (Σ w U + s), written as its numerator over Σ w U + s
    penalty = xp.sum((union - 2 * inter) * weight, axis=k, keepdims=True)
    den = xp.sum(union * weight, axis=k, keepdims=True) + smooth
    score = _penalty_ratio(penalty, den, xp)
    return _reduce_scores(xp.squeeze(score, axis=tuple(sorted((*axes, k)))), reduction, ns)


# --- Lovász extensions -------------------------------------------------------------------


def _take_rows(x: Any, perm: Any, xp: Any) -> Any:
    """``x[r, perm[r, i]]`` for a 2-D ``x``, by ``take`` on the flattened array.

    ``take`` is in every namespace (dask lacks ``take_along_axis``); each row's indices
    are offset by the row's start in the flattened array.
    """
    rows, size = x.shape
    start = xp.arange(rows, dtype=perm.dtype, device=device_of(perm)) * size
    index = xp.reshape(perm + xp.reshape(start, (rows, 1)), (-1,))
    return xp.reshape(xp.take(xp.reshape(x, (-1,)), index, axis=0), (rows, size))


def _lovasz_rows(errors: Any, fg: Any, xp: Any, *, hinge: bool) -> Any:
    """The Lovász extension of the Jaccard loss of each row of ``errors`` (R, P).

    Sort the errors in decreasing order; the weight of the i-th is
    :math:`J_i - J_{i-1}`, with :math:`J_i = 1 - (G - a_i)/(G + b_i)` after :math:`a_i`
    foreground and :math:`b_i` background pixels (:math:`G` foreground in all; Berman
    et al., Alg. 1). The difference is written out, :math:`1/(G + b_i)` at a foreground
    pixel and :math:`(G - a_i)/((G + b_i - 1)(G + b_i))` at a background one (1 at the
    first pixel of a row without foreground), so no two nearly equal ratios are subtracted.
    """
    perm = xp.argsort(errors, axis=-1, descending=True, stable=True)
    e = _take_rows(errors, perm, xp)
    g = _take_rows(fg, perm, xp)
    total = xp.sum(fg, axis=-1, keepdims=True)
    a = cumulative_sum(g, xp, axis=-1)
    b = cumulative_sum(1 - g, xp, axis=-1)
    on = total + b  # >= 1 at every pixel of a binary row
    w_fg = 1 / on
    off = (on - 1) * on
    some = off > 0
    w_bg = xp.where(some, (total - a) / xp.where(some, off, xp.ones_like(off)), xp.ones_like(off))
    weight = xp.where(g > 0, w_fg, w_bg)
    if hinge:
        e = positive_part(e, xp)  # gradient 0 at 0, as SMP's F.relu
    return xp.sum(e * weight, axis=-1)


def _check_binary(x: Any, xp: Any) -> None:
    if xp.isdtype(x.dtype, "bool"):
        return
    check_values(
        x,
        xp,
        lambda v: xp.logical_and(v != 0, v != 1),
        lambda: "target of lovasz_hinge must be binary (0 or 1)",
    )


@loss(
    rules={"per_image": boolean},
    coupled=lambda hp, ndim: not hp["per_image"],  # one sort over every pixel of the batch
)
def lovasz_hinge(
    pred: Array,
    target: Array,
    *,
    per_image: bool = False,
    reduction: Reduction = "mean",
) -> Array:
    r"""Binary Lovász hinge loss: the Lovász extension of the Jaccard loss on hinge errors.

    With errors :math:`m_i = \max(0, 1 - s_i y_i)`, :math:`y_i = 2 t_i - 1`, sorted in
    decreasing order, :math:`\ell = \sum_i m_{(i)}\, (J_i - J_{i-1})` where
    :math:`J_i` is the Jaccard loss of predicting the top ``i`` pixels as foreground
    (Berman et al., Alg. 1). A mask without foreground is penalised by its largest error.
    Matches ``lovasz_hinge`` of the paper's reference code and
    ``segmentation_models_pytorch.losses.LovaszLoss("binary")``.

    Parameters
    ----------
    pred
        Logits, ``(N, ...)``.
    target
        Binary masks (0/1, bool or integers) of the same shape; checked on eager arrays.
    per_image
        ``True``: one loss per image (first axis), ``"none"`` returns the ``(N,)`` losses
        and ``"mean"`` their mean (the reference's ``per_image=True``). ``False``
        (default): every pixel of the batch pooled into one 0-d loss, which every
        reduction returns unchanged.

    References
    ----------
    Berman, Rannen Triki & Blaschko, "The Lovász-Softmax loss: A tractable surrogate for
    the optimization of the intersection-over-union measure in neural networks", CVPR 2018.
    """
    ns, (s, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    _check_binary(target, xp)
    if per_image and s.ndim == 0:
        raise ValueError("per_image=True needs logits with a first (image) axis; got a 0-d array")
    s, t = ns.widen(s), ns.widen(t)
    image_axes = tuple(range(1, s.ndim)) if per_image else None
    if math.prod(s.shape) == 0:  # no pixels: 0 per image (dask cannot reshape empty chunks)
        return _reduce_scores(0 * xp.sum(s, axis=image_axes), reduction, ns)
    rows = s.shape[0] if per_image else 1
    shape = (rows, math.prod(s.shape) // rows)
    s, t = xp.reshape(s, shape), xp.reshape(t, shape)
    errors = 1 - s * (2 * t - 1)
    losses = _lovasz_rows(errors, t, xp, hinge=True)
    if not per_image:
        losses = xp.reshape(losses, ())
    return _reduce_scores(losses, reduction, ns)


@loss(
    labels=(1,),
    rules={"axis": integer},
    coupled=True,  # one sort per class over every pixel of the batch
)
def lovasz_softmax(
    pred: Array,
    target: Array,
    *,
    axis: int = -1,
    reduction: Reduction = "mean",
) -> Array:
    r"""Multi-class Lovász-Softmax loss over the classes present in the target.

    For each class ``c`` the errors :math:`|[t = c] - p_c|` of every pixel of the batch
    are sorted in decreasing order and weighted by the Lovász gradient of the class's
    Jaccard loss (as in :func:`lovasz_hinge`); the loss is the mean of these per-class
    losses over the classes present in ``target``, 0 when none is (an empty batch).
    Matches ``lovasz_softmax(probas, labels, classes="present", per_image=False)`` of the
    paper's reference code. The result is 0-d, whatever ``reduction``.

    Parameters
    ----------
    pred
        Class probabilities (apply a softmax first; SMP's ``LovaszLoss("multiclass")``
        does that itself), classes along ``axis``; in [0, 1] (checked on eager arrays:
        ``ValueError`` otherwise).
    target
        Integer class indices, ``pred``'s shape without ``axis``; checked to lie in
        ``[0, C)`` on eager arrays.
    axis
        The class axis of ``pred``.

    References
    ----------
    Berman, Rannen Triki & Blaschko, "The Lovász-Softmax loss: A tractable surrogate for
    the optimization of the intersection-over-union measure in neural networks", CVPR 2018.
    """
    ns = resolve(pred, target)
    xp = ns.xp
    k = check_axis(axis, pred.ndim)
    _check_index_target(pred, target, k, xp)
    classes = pred.shape[k]
    labels, _, bad = _labels(target, None, classes, ns)
    p = ns.float(pred)
    check_probabilities(xp, pred=p)
    p = ns.widen(p)
    pixels = math.prod(labels.shape)
    if pixels == 0:  # no class present: 0 (dask cannot reshape empty chunks)
        return ns.narrow(0 * xp.sum(p))
    p = xp.reshape(xp.moveaxis(p, k, 0), (classes, pixels))
    ids = xp.reshape(xp.arange(classes, dtype=labels.dtype, device=ns.device), (classes, 1))
    fg = xp.astype(xp.reshape(labels, (1, pixels)) == ids, p.dtype)
    per_class = _lovasz_rows(absolute(fg - p, xp), fg, xp, hinge=False)
    present = xp.sum(fg, axis=-1) > 0
    count = xp.sum(xp.astype(present, p.dtype))
    total = xp.sum(xp.where(present, per_class, xp.zeros_like(per_class)))
    out = total / xp.maximum(count, scalar_like(1.0, count, xp))
    if bad is not None:  # unchecked labels: one out of range makes the loss NaN
        out = nan_where(xp.any(bad), out, xp)
    return ns.narrow(out)  # 0-d: every reduction returns it
