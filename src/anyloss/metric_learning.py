"""Metric-learning and contrastive losses: margin softmax heads and batch contrastive losses.

``arcface`` and ``cosface`` take the cosine similarities of normalised embeddings and
class centres with integer class indices (checked as the class-index losses check them:
``ValueError`` on eager arrays outside ``[0, C)``, NaN under ``jax.jit`` or on dask).
``supcon``, ``circle`` and ``clip_contrastive`` take a batch of embeddings and compare
every member with every other, so the loss of one sample depends on the whole batch
(``coupled``: shards of a batch do not add up to its mean).
"""

from __future__ import annotations

import math
from typing import Any

from ._classes import _gather, _index_cross_entropy, _is_index_target, _labels
from ._compat import scalar_like
from ._namespace import Namespace, resolve
from ._primitives import relu, safe_sqrt, shifted_logsumexp, softplus
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    at_least,
    boolean,
    check_axis,
    check_same_shape,
    check_values,
    fmt_shape,
    greater_than,
    in_interval,
    integer,
    swapped_hint,
    value_span,
)
from .embedding import _check_target_shape, _masked_rows_logsumexp, _pair_masks, _unit

__all__ = ["arcface", "circle", "clip_contrastive", "cosface", "supcon"]

_NORMALIZE_EPSILON = 1e-12  # torch.nn.functional.normalize: x / max(||x||, 1e-12)
_MARGIN_RULES = {"scale": greater_than(0.0), "axis": integer}


# --- private helpers ---------------------------------------------------------------------

_COSINE_ULPS = 64
"""Rounding beyond ±1 taken as ±1: a float32 product of unit vectors can exceed 1 by a few
ulps (64 ulps: 7.6e-6 in float32, 1.4e-14 in float64)."""


def _cosines(c: Any, xp: Any) -> Any:
    """Cosines in [-1, 1] up to rounding (``ValueError`` beyond, on eager arrays); the
    rounding excess clipped to ±1, NaN kept.

    Clipped by two selects, not ``clip``: the gradient is 1 up to and at ±1 (as torch's
    ``clamp``) on every backend, where jax's ``clip`` halves it at a bound (a cosine of
    exactly 1, an embedding on its class centre, is a common input)."""
    slack = _COSINE_ULPS * float(xp.finfo(c.dtype).eps)
    check_values(
        c,
        xp,
        lambda v: xp.abs(v) > 1 + slack,
        lambda: f"cosine must lie in [-1, 1] (up to rounding); {value_span(c, xp)}",
    )
    one = scalar_like(1.0, c, xp)
    return xp.where(c > one, one, xp.where(c < -one, -one, c))


def _margin_softmax(
    cosine: Any, target: Any, axis: int, scale: float, target_cosine: Any, reduction: str
) -> Any:
    """Cross-entropy over ``scale * cosine`` with the target class's cosine replaced by
    ``target_cosine(cos_y, xp)`` (the margin); shared by ``arcface`` and ``cosface``."""
    ns = resolve(cosine, target)
    xp = ns.xp
    ax = check_axis(axis, cosine.ndim)
    if not _is_index_target(cosine, target, ax, xp):
        raise ValueError(
            f"target must hold integer class indices; got a floating array of shape "
            f"{fmt_shape(target.shape)}"
        )
    c = _cosines(ns.float(cosine), xp)
    num_classes = int(c.shape[ax])
    labels, _, bad = _labels(target, None, num_classes, ns)
    target_logit = scale * target_cosine(_gather(c, labels, ax, xp), xp)
    classes = xp.arange(num_classes, dtype=labels.dtype, device=ns.device)
    shape = [1] * c.ndim
    shape[ax] = num_classes
    is_target = xp.expand_dims(labels, axis=ax) == xp.reshape(classes, tuple(shape))
    logits = xp.where(is_target, xp.expand_dims(target_logit, axis=ax), scale * c)
    _, log_s, m = shifted_logsumexp(logits, xp, axis=ax)
    return reduce(_index_cross_entropy(logits, log_s, m, labels, ax, xp, bad), reduction, xp)


def _batch(embeddings: Any, labels: Any) -> tuple[Namespace, Any]:
    """Resolve ``(N, D)`` embeddings with ``(N,)`` integer labels; the floating embeddings."""
    ns = resolve(embeddings, labels)
    if embeddings.ndim != 2:
        raise ValueError(
            f"embeddings must be (N, D); got shape {fmt_shape(embeddings.shape)}"
            f"{swapped_hint(embeddings, labels)}"
        )
    _check_target_shape(
        labels,
        (embeddings.shape[0],),
        "labels",
        "one label per row of embeddings {}",
        embeddings.shape,
    )
    if not ns.xp.isdtype(labels.dtype, "integral"):
        raise ValueError(f"labels must be integers; got dtype {labels.dtype}")
    return ns, ns.float(embeddings)


def _dots(a: Any, b: Any, xp: Any) -> Any:
    """``a @ b.T``: the dot product of every row of ``a`` with every row of ``b``."""
    return xp.matmul(a, xp.permute_dims(b, (1, 0)))


# --- losses --------------------------------------------------------------------------------


@loss(labels=(1,), rules={**_MARGIN_RULES, "margin": in_interval(0.0, math.pi)})
def arcface(
    cosine: Array,
    target: Array,
    *,
    margin: float = 0.5,
    scale: float = 64.0,
    axis: int = -1,
    reduction: Reduction = "mean",
) -> Array:
    r"""ArcFace (additive angular margin): cross-entropy with the target angle widened by ``m``.

    With :math:`\cos\theta_c` the cosine between a sample's normalised embedding and the
    centre of class :math:`c`, and target class :math:`y`:

    .. math:: \ell = -\log\frac{e^{s\cos(\theta_y + m)}}{e^{s\cos(\theta_y + m)}
              + \sum_{c \ne y} e^{s\cos\theta_c}},\qquad
              \cos(\theta_y + m) = \cos\theta_y\cos m - \sqrt{1 - \cos^2\theta_y}\,\sin m

    The square root has a finite (zero) gradient at :math:`\cos\theta_y = \pm 1`; there is
    no "easy margin" fallback, so past :math:`\theta_y = \pi - m` the target logit rises
    again (the paper's formula). ``pytorch_metric_learning.losses.ArcFaceLoss`` gives the
    same on its cosine logits for :math:`\theta_y \le \pi - m`; beyond, it switches to
    :math:`\cos\theta_y - m\sin m`. Its margin is in degrees, this one in radians.

    Parameters
    ----------
    cosine
        Cosine similarities in [-1, 1] (``ValueError`` outside, on eager arrays; a
        rounding excess of a few ulps, as a float32 product of unit vectors gives, is
        taken as ±1), classes
        along ``axis``: ``(N, C)``.
    target
        Integer class indices, ``cosine``'s shape without ``axis``.
    margin
        Additive angular margin in radians, in [0, pi].
    scale
        Logit scale :math:`s` > 0.
    axis
        The class axis.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Deng, Guo, Xue & Zafeiriou, "ArcFace: Additive Angular Margin Loss for Deep Face
    Recognition", CVPR 2019.
    """

    def widened(c: Any, xp: Any) -> Any:
        sine = safe_sqrt((1 - c) * (1 + c), xp)  # (1 - c)(1 + c): no cancellation near ±1
        return c * math.cos(margin) - sine * math.sin(margin)

    return _margin_softmax(cosine, target, axis, scale, widened, reduction)


@loss(labels=(1,), rules={**_MARGIN_RULES, "margin": at_least(0.0)})
def cosface(
    cosine: Array,
    target: Array,
    *,
    margin: float = 0.35,
    scale: float = 64.0,
    axis: int = -1,
    reduction: Reduction = "mean",
) -> Array:
    r"""CosFace / AM-Softmax (additive cosine margin): the target cosine lowered by ``m``.

    .. math:: \ell = -\log\frac{e^{s(\cos\theta_y - m)}}{e^{s(\cos\theta_y - m)}
              + \sum_{c \ne y} e^{s\cos\theta_c}}

    Matches ``pytorch_metric_learning.losses.CosFaceLoss`` on its cosine logits.

    Parameters
    ----------
    cosine
        Cosine similarities in [-1, 1] (``ValueError`` outside, on eager arrays; a
        rounding excess of a few ulps, as a float32 product of unit vectors gives, is
        taken as ±1), classes
        along ``axis``: ``(N, C)``.
    target
        Integer class indices, ``cosine``'s shape without ``axis``.
    margin
        Additive cosine margin, >= 0.
    scale
        Logit scale :math:`s` > 0.
    axis
        The class axis.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Wang, Wang, Zhou, Ji, Gong, Zhou, Li & Liu, "CosFace: Large Margin Cosine Loss for
    Deep Face Recognition", CVPR 2018.
    Wang, Cheng, Liu & Liu, "Additive Margin Softmax for Face Verification", IEEE Signal
    Processing Letters 2018.
    """
    return _margin_softmax(cosine, target, axis, scale, lambda c, xp: c - margin, reduction)


@loss(
    labels=(1,),
    rules={"temperature": greater_than(0.0)},
    coupled=True,  # every embedding is in every other's softmax
)
def supcon(
    embeddings: Array, labels: Array, *, temperature: float = 0.1, reduction: Reduction = "mean"
) -> Array:
    r"""Supervised contrastive loss (SupCon, :math:`\mathcal L^{sup}_{out}`).

    With :math:`s_{ia} = \hat e_i \cdot \hat e_a / \tau` (embeddings normalised here, as
    ``torch.nn.functional.normalize``) and :math:`P(i)` the other samples with the label
    of :math:`i`:

    .. math:: \ell_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)}
              \log\frac{e^{s_{ip}}}{\sum_{a \ne i} e^{s_{ia}}}

    ``"none"`` is one value per anchor (0 for an anchor without positives), ``"sum"``
    their sum and ``"mean"`` their sum over the number of anchors that have positives (0
    if none has). ``pytorch_metric_learning.losses.SupConLoss`` gives the same except
    that it returns 0 for a batch without negatives (one label) and leaves anchors whose
    loss is exactly 0 out of its mean; the formula here has no special case.

    Parameters
    ----------
    embeddings
        ``(N, D)`` embeddings.
    labels
        ``(N,)`` integer labels (any values): equal labels mark positives.
    temperature
        Softmax temperature :math:`\tau` > 0.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"``.

    References
    ----------
    Khosla, Teterwak, Wang, Sarna, Tian, Isola, Maschinot, Liu & Krishnan, "Supervised
    Contrastive Learning", NeurIPS 2020.
    """
    ns, e = _batch(embeddings, labels)
    xp = ns.xp
    unit = _unit(e, _NORMALIZE_EPSILON, xp, axis=1)
    s = _dots(unit / temperature, unit, xp)
    positive, negative = _pair_masks(labels, e.shape[0], ns)
    log_z, _ = _masked_rows_logsumexp(s, xp.logical_or(positive, negative), xp)
    count = xp.sum(xp.astype(positive, ns.dtype), axis=1)
    has = count > 0
    mean_positive = xp.sum(xp.where(positive, s, xp.zeros_like(s)), axis=1) / xp.where(
        has, count, xp.ones_like(count)
    )
    per_anchor = xp.where(has, xp.squeeze(log_z, axis=1) - mean_positive, xp.zeros_like(count))
    return reduce(per_anchor, reduction, xp, normalizer=xp.sum(xp.astype(has, ns.dtype)))


@loss(
    labels=(1,),
    rules={
        "gamma": greater_than(0.0),
        "margin": in_interval(-math.inf, math.inf),
        "remove_diagonal": boolean,
    },
    coupled=True,  # every embedding is a positive or a negative of every other
)
def circle(
    embeddings: Array,
    labels: Array,
    *,
    gamma: float = 80.0,
    margin: float = 0.4,
    remove_diagonal: bool = True,
    reduction: Reduction = "mean",
) -> Array:
    r"""Circle loss: positives and negatives weighted by how far each is from its optimum.

    With :math:`d_{ij} = \max(0, 1 - e_i \cdot e_j)` (cosine distance of embeddings taken
    as given: pass them L2-normalised), positives :math:`P(i)` (same label; without
    :math:`i` itself when ``remove_diagonal``) and negatives :math:`N(i)` (other labels):

    .. math:: \ell_i = \operatorname{softplus}\Big(
              \log\sum_{p \in P(i)} e^{-\gamma\,[m + d_{ip}]_+ (m - d_{ip})}
              + \log\sum_{n \in N(i)} e^{\gamma\,[1 + m - d_{in}]_+ (1 - m - d_{in})}\Big)

    and 0 for a sample without positives or without negatives. The pair weights
    :math:`[\cdot]_+` are not detached (Keras's choice; the paper detaches them).
    ``"none"`` is one value per sample, ``"mean"`` their plain mean. Matches
    ``keras.losses.Circle`` for ``"none"`` and ``"sum"``; Keras's default reduction
    divides the sum by the number of samples whose loss is not zero.

    Parameters
    ----------
    embeddings
        ``(N, D)`` embeddings, used as given (not normalised here).
    labels
        ``(N,)`` integer labels (any values).
    gamma
        Scale :math:`\gamma` > 0.
    margin
        Relaxation :math:`m`: positives are pushed to :math:`d < m`, negatives to
        :math:`d > 1 - m`.
    remove_diagonal
        Leave each sample out of its own positives.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"``.

    References
    ----------
    Sun, Cheng, Zhang, Zhang, Zheng, Wang & Wei, "Circle Loss: A Unified Perspective of
    Pair Similarity Optimization", CVPR 2020.
    """
    ns, e = _batch(embeddings, labels)
    xp = ns.xp
    d = relu(1 - _dots(e, e, xp), xp)
    positive, negative = _pair_masks(labels, e.shape[0], ns)
    if not remove_diagonal:
        positive = xp.logical_not(negative)
    pull = -gamma * relu(margin + d, xp) * (margin - d)
    push = gamma * relu(1 + margin - d, xp) * (1 - margin - d)
    log_p, has_p = _masked_rows_logsumexp(pull, positive, xp)
    log_n, has_n = _masked_rows_logsumexp(push, negative, xp)
    both = xp.logical_and(has_p, has_n)
    per_sample = xp.where(both, softplus(log_p + log_n, xp), xp.zeros_like(log_p))
    return reduce(xp.squeeze(per_sample, axis=1), reduction, xp)


@loss(
    rules={"temperature": greater_than(0.0)},
    coupled=True,  # every text is a negative of every image and back
)
def clip_contrastive(
    image_embeddings: Array,
    text_embeddings: Array,
    *,
    temperature: Any = 0.07,
    reduction: Reduction = "mean",
) -> Array:
    r"""CLIP's symmetric contrastive loss: pair ``i`` of images and texts matches, others not.

    With both normalised and :math:`L_{ij} = \hat x_i \cdot \hat t_j / \tau`:

    .. math:: \ell_i = \tfrac12\Big(\log\sum_j e^{L_{ij}} - L_{ii}\Big)
              + \tfrac12\Big(\log\sum_j e^{L_{ji}} - L_{ii}\Big)

    the mean of the image-to-text and text-to-image cross-entropies with targets
    ``arange(N)``. ``"none"`` is one value per pair, ``"mean"`` their mean, which matches
    ``open_clip.ClipLoss`` on one device (with ``logit_scale = 1 / temperature`` and
    features normalised beforehand). ``temperature`` may be a 0-d array (a learnable
    temperature): the loss is differentiable with respect to it.

    Parameters
    ----------
    image_embeddings, text_embeddings
        ``(N, D)`` embeddings; row ``i`` of each is a matching pair.
    temperature
        Softmax temperature :math:`\tau` > 0: a number or a 0-d array.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"``.

    References
    ----------
    Radford, Kim, Hallacy, Ramesh, Goh, Agarwal, Sastry, Askell, Mishkin, Clark, Krueger
    & Sutskever, "Learning Transferable Visual Models From Natural Language Supervision",
    ICML 2021.
    """
    ns = resolve(image_embeddings, text_embeddings, temperature)
    xp = ns.xp
    check_same_shape(image_embeddings, text_embeddings, "image_embeddings", "text_embeddings")
    if image_embeddings.ndim != 2:
        raise ValueError(
            f"image_embeddings and text_embeddings must be (N, D); got shape "
            f"{fmt_shape(image_embeddings.shape)}"
        )
    image = _unit(ns.float(image_embeddings), _NORMALIZE_EPSILON, xp, axis=1)
    text = _unit(ns.float(text_embeddings), _NORMALIZE_EPSILON, xp, axis=1)
    logits = _dots(image, text, xp) / ns.float(temperature)
    pairs = xp.arange(logits.shape[0], device=ns.device)
    _, log_s_image, m_image = shifted_logsumexp(logits, xp, axis=1)
    _, log_s_text, m_text = shifted_logsumexp(logits, xp, axis=0)
    image_to_text = _index_cross_entropy(logits, log_s_image, m_image, pairs, 1, xp)
    text_to_image = _index_cross_entropy(logits, log_s_text, m_text, pairs, 0, xp)
    return reduce((image_to_text + text_to_image) / 2, reduction, xp)
