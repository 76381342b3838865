"""Segmentation losses on per-sample confusion counts: MONAI's softmax Dice, Dice + CE, MCC.

``softmax_dice`` and ``dice_ce`` are used the way MONAI's ``DiceLoss(softmax=True,
to_onehot_y=True)`` is: raw logits with a class axis (``axis=-1``; ``axis=1`` is MONAI's
channels-first ``(N, C, H, W, ...)``) and integer labels of the logits' shape without
that axis. Axis 0 is the sample axis; every other axis is spatial. Each (sample, class)
pair gets a Dice score over the spatial axes (MONAI ``batch=False``), and the classes'
mean is the sample's loss.

No float one-hot target is built. The per-class sums need to know which pixels carry
label ``c``, and the standard has no scatter-add (``bincount``) to split a gathered
``p_y`` by class, so the labels are compared with ``arange(C)`` along the class axis:
a boolean of the logits' shape, the size of the softmax that exists anyway, which
``where`` consumes inside the same sums (XLA and inductor fuse it; dask keeps it chunked).

``mcc`` takes probabilities and soft targets like the overlap losses of
:mod:`anyloss.segmentation`, with their ``axis`` convention (``None`` pools every
element into one score, as ``segmentation_models_pytorch.losses.MCCLoss`` does).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ._classes import _along, _index_cross_entropy, _labels, _setup
from ._namespace import Namespace
from ._primitives import nan_where, safe_div, safe_sqrt, shifted_exp
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import at_least, boolean, integer
from .segmentation import _axes, _overlap_input, _reduce_scores, _sum

__all__ = ["dice_ce", "mcc", "softmax_dice"]

_DICE_RULES = {"axis": integer, "smooth": at_least(0.0), "include_background": boolean}


class _Softmax(NamedTuple):
    """A softmax over the class axis, with what the Dice and the CE terms share."""

    ns: Namespace
    ax: int
    """The class axis (never 0)."""
    x: Any
    """The logits in the floating dtype."""
    p: Any
    """The softmax ``exp(z) / sum(exp(z))``."""
    log_s: Any
    m: Any
    """The log of the softmax's denominator and the shift (``shifted_exp``):
    ``logsumexp(x) = log_s + m``, what the cross-entropy term needs."""
    labels: Any
    """Labels in the indexing dtype (unchecked out-of-range ones set to 0)."""
    bad: Any
    """Per-pixel mask of unchecked out-of-range labels, or None."""

    @property
    def spatial(self) -> tuple[int, ...]:
        """The spatial axes of the logits: every axis but 0 and the class axis."""
        return tuple(a for a in range(1, self.x.ndim) if a != self.ax)


def _softmax_of(logits: Any, target: Any, axis: int, name: str) -> _Softmax:
    """Resolve and check the inputs; the shared log-softmax pieces and the labels."""
    ns, ax, classes, index, _ = _setup(logits, target, None, axis, None)
    if not index:
        raise ValueError(
            f"target of {name} must hold integer class labels (the logits' shape without "
            f"axis); got dtype {target.dtype}"
        )
    if ax == 0:
        raise ValueError(
            f"axis={axis} is axis 0, the sample axis; the class axis must be another one"
        )
    x, xp = ns.float(logits), ns.xp
    _, e, m = shifted_exp(x, xp, axis=ax)
    total = xp.sum(e, axis=ax, keepdims=True)
    labels, _, bad = _labels(target, None, classes, ns)
    return _Softmax(ns, ax, x, e / total, xp.log(total), m, labels, bad)


def _per_sample_bad(s: _Softmax) -> Any:
    """Samples with an unchecked out-of-range label (None where labels were checked)."""
    if s.bad is None or s.bad.ndim == 1:
        return s.bad
    return s.ns.xp.any(s.bad, axis=tuple(range(1, s.bad.ndim)))


def _dice_per_sample(s: _Softmax, smooth: float, include_background: bool) -> Any:
    """MONAI's ``batch=False`` Dice loss of each (sample, class), averaged over classes.

    ``1 - (2 I + s) / (P + G + s)`` is written as ``(P + G - 2 I) / (P + G + s)``, whose
    numerator is summed pixel by pixel as ``1 - p_c`` where the label is ``c`` and
    ``p_c`` elsewhere: never negative (``p_c = e_c / sum e`` is at most 1), and exactly 0
    for a perfect prediction. A class in neither the prediction nor the labels has
    ``P = G = I = 0``: loss 0 (0/0 with ``smooth=0`` included). ``P + G`` is the sum of
    ``p_c`` plus the count of label ``c``. Against ``-expm1(log p_c)`` and a second
    select for ``P + G`` (as accurate: ``log p_c`` rounds as ``p_c`` does), eager torch's
    forward+backward took ~0.9x the time and 0.75x the memory.
    """
    xp, p = s.ns.xp, s.p
    classes = s.x.shape[s.ax]
    ids = xp.arange(classes, dtype=s.labels.dtype, device=s.ns.device)
    hit = xp.expand_dims(s.labels, axis=s.ax) == _along(ids, s.ax, s.x.ndim, xp)
    penalty = _sum(xp.where(hit, 1 - p, p), s.spatial, xp)
    total = _sum(p, s.spatial, xp) + _sum(xp.astype(hit, p.dtype), s.spatial, xp)  # P + G
    scores = safe_div(penalty, total + smooth, xp)
    if not include_background:
        scores = scores[:, 1:]
    return nan_where(_per_sample_bad(s), xp.mean(scores, axis=1), s.ns.xp)


def _ce_per_sample(s: _Softmax) -> Any:
    """The mean softmax cross-entropy of each sample's pixels (0 for a sample of none)."""
    xp = s.ns.xp
    ce = nan_where(s.bad, _index_cross_entropy(s.x, s.log_s, s.m, s.labels, s.ax, xp), xp)
    if ce.ndim == 1:
        return ce
    pixels = math.prod(ce.shape[1:])
    return xp.sum(ce, axis=tuple(range(1, ce.ndim))) / max(pixels, 1)


def _check_classes(s: _Softmax, include_background: bool) -> None:
    if not include_background and s.x.shape[s.ax] < 2:
        raise ValueError(
            "include_background=False leaves no class to score: the logits have "
            f"{s.x.shape[s.ax]} class along axis {s.ax} (MONAI ignores the flag there)"
        )


@loss(labels=(1,), rules=_DICE_RULES)
def softmax_dice(
    logits: Array,
    target: Array,
    *,
    axis: int = -1,
    smooth: float = 1e-5,
    include_background: bool = True,
    reduction: Reduction = "mean",
) -> Array:
    r"""Dice loss of a softmax against integer labels, one score per sample and class.

    With :math:`p = \operatorname{softmax}(x)` along ``axis`` and :math:`t_c = [y = c]`,
    each sample :math:`n` and class :math:`c` gets, over the spatial axes,

    .. math:: \ell_{nc} = 1 - \frac{2 \sum p_c t_c + s}{\sum p_c + \sum t_c + s},
              \qquad \ell_n = \frac{1}{|K|} \sum_{c \in K} \ell_{nc}

    :math:`K` every class, or every class but 0 (the background) with
    ``include_background=False``. ``"none"`` gives :math:`\ell_n`, ``"mean"`` their mean
    and ``"sum"`` their sum. This is ``monai.losses.DiceLoss(softmax=True,
    to_onehot_y=True, include_background=..., smooth_nr=s, smooth_dr=s, batch=False)``
    on channels-first logits and ``(N, 1, ...)`` labels; MONAI's "mean" is this "mean"
    (every sample has as many classes), its "sum" adds the (sample, class) table instead
    of the per-sample means. A class in neither the prediction nor the labels scores 0,
    also with ``smooth=0`` (0/0; MONAI gives NaN there).

    Parameters
    ----------
    logits
        Unnormalised scores; axis 0 is the sample axis, ``axis`` the class axis, every
        other axis spatial.
    target
        Integer labels, the logits' shape without ``axis``; checked to lie in
        ``[0, C)`` on eager arrays (unchecked, a bad label makes its sample NaN).
    axis
        The class axis; ``1`` for MONAI's channels-first layout. Not 0.
    smooth
        Added to numerator and denominator (MONAI's ``smooth_nr = smooth_dr``); >= 0.
    include_background
        ``False`` leaves class 0 out of the mean over classes (needs two classes).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Milletari, Navab & Ahmadi, "V-Net: Fully Convolutional Neural Networks for Volumetric
    Medical Image Segmentation", 3DV 2016.
    Cardoso et al., "MONAI: An open-source framework for deep learning in healthcare",
    arXiv:2211.02701, 2022.
    """
    s = _softmax_of(logits, target, axis, "softmax_dice")
    _check_classes(s, include_background)
    return reduce(_dice_per_sample(s, smooth, include_background), reduction, s.ns.xp)


@loss(labels=(1,), rules={**_DICE_RULES, "lambda_dice": at_least(0.0), "lambda_ce": at_least(0.0)})
def dice_ce(
    logits: Array,
    target: Array,
    *,
    axis: int = -1,
    smooth: float = 1e-5,
    include_background: bool = True,
    lambda_dice: float = 1.0,
    lambda_ce: float = 1.0,
    reduction: Reduction = "mean",
) -> Array:
    r"""Dice plus cross-entropy of a softmax against integer labels (MONAI's ``DiceCELoss``).

    .. math:: \ell_n = \lambda_d\, \mathrm{Dice}_n
              + \lambda_{ce} \frac{1}{|\Omega|} \sum_{i \in \Omega} -\log p_{y_i}(x_i)

    with :math:`\mathrm{Dice}_n` the per-sample loss of :func:`softmax_dice` and the
    cross-entropy averaged over the sample's pixels :math:`\Omega`, always over every
    class (``include_background`` applies to the Dice term only, as in MONAI).
    ``"none"`` gives :math:`\ell_n`, ``"mean"`` their mean, which is
    ``monai.losses.DiceCELoss(softmax=True, to_onehot_y=True, ...)`` (every sample has
    as many pixels), ``"sum"`` their sum (MONAI's "sum" adds the Dice table and every
    pixel's cross-entropy instead; it has no "none").

    Parameters
    ----------
    logits, target, axis, smooth, include_background
        As in :func:`softmax_dice`.
    lambda_dice, lambda_ce
        Weights of the Dice and the cross-entropy terms; >= 0.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Isensee, Jaeger, Kohl, Petersen & Maier-Hein, "nnU-Net: a self-configuring method
    for deep learning-based biomedical image segmentation", Nature Methods, 2021.
    Cardoso et al., "MONAI: An open-source framework for deep learning in healthcare",
    arXiv:2211.02701, 2022.
    """
    s = _softmax_of(logits, target, axis, "dice_ce")
    _check_classes(s, include_background)
    dice = _dice_per_sample(s, smooth, include_background)
    return reduce(lambda_dice * dice + lambda_ce * _ce_per_sample(s), reduction, s.ns.xp)


@loss(rules={"eps": at_least(0.0), "axis": _axes})
def mcc(
    pred: Array,
    target: Array,
    *,
    eps: float = 1e-5,
    axis: int | tuple[int, ...] | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Matthews correlation loss, ``1 - MCC`` of the soft confusion counts.

    .. math:: \ell = 1 - \frac{TP \cdot TN - FP \cdot FN}
              {\sqrt{(TP + FP)(TP + FN)(TN + FP)(TN + FN)}}

    with :math:`TP = \sum p t + \epsilon`, :math:`TN = \sum (1-p)(1-t) + \epsilon`,
    :math:`FP = \sum p (1-t) + \epsilon`, :math:`FN = \sum (1-p) t + \epsilon`, the sums
    over ``axis``: ``None`` pools every element of the batch into one score, as
    ``segmentation_models_pytorch.losses.MCCLoss(eps)`` does (its ``eps`` on each count);
    the spatial axes give one score per image. Because of ``eps``, a perfect
    prediction of an all-background mask scores about 1/2, as in SMP. A zero
    denominator (``eps=0`` and a constant prediction or target) counts as MCC 0
    (``sklearn.metrics.matthews_corrcoef``'s convention), and a score over no elements
    is 0.

    Parameters
    ----------
    pred, target
        Probabilities and (soft) targets in [0, 1] of equal shape (checked on eager
        arrays: ``ValueError`` otherwise).
    eps
        Added to each confusion count; >= 0.
    axis, reduction
        As in :func:`dice`: ``axis=None`` gives one 0-d score, a tuple of axes one score
        per remaining index, which ``reduction`` reduces.

    References
    ----------
    Abhishek & Hamarneh, "Matthews Correlation Coefficient Loss for Deep Convolutional
    Networks: Application to Skin Lesion Segmentation", ISBI 2021.
    """
    ns, p, t, axes = _overlap_input(pred, target, axis)
    xp = ns.xp
    pt = p * t
    tp = _sum(pt, axes, xp) + eps
    fp = _sum(p - pt, axes, xp) + eps
    fn = _sum(t - pt, axes, xp) + eps
    tn = _sum((1 - p) * (1 - t), axes, xp) + eps
    den = safe_sqrt((tp + fp) * (tn + fn), xp) * safe_sqrt((tp + fn) * (tn + fp), xp)
    scores = 1 - safe_div(tp * tn - fp * fn, den, xp)
    counted = p.shape if axes is None else [p.shape[a] for a in axes]
    if math.prod(counted) == 0:  # a score over nothing: 0, as every empty loss
        scores = 0 * scores
    return _reduce_scores(scores, reduction, ns)
