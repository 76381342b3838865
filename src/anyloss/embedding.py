"""Embedding and ranking losses: distances, pairs, triplets and contrastive batches.

Targets of pair losses are ``+1`` (similar / ranked first) and ``-1`` (dissimilar), except
``contrastive``, whose targets are 1 (similar) and 0 (dissimilar). On eager arrays a target
outside its allowed set raises ``ValueError``; under ``jax.jit`` and on dask the values are
unchecked (the formulas then do what the torch functions do with such values).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from ._compat import custom_gradient, masked_summed_softplus, scalar_like
from ._namespace import Namespace, resolve, resolve_floats
from ._primitives import KERAS_EPSILON, masked_logsumexp, relu, safe_sqrt
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    HyperparameterTypeError,
    at_least,
    boolean,
    check_axis,
    check_in_range,
    check_one_of,
    check_same_shape,
    fmt_shape,
    greater_than,
    in_interval,
    integer,
    swapped_hint,
)

__all__ = [
    "contrastive",
    "cosine_embedding",
    "cosine_similarity",
    "hinge_embedding",
    "margin_ranking",
    "ntxent",
    "triplet_margin",
    "triplet_margin_with_distance",
]

_TORCH_COSINE_EPSILON = 1e-12  # added to each squared norm by torch's cosine_embedding_loss
_ANY_REAL = in_interval(-math.inf, math.inf)


# --- private helpers ---------------------------------------------------------------------


def _check_target_shape(
    target: Any, shape: tuple[int, ...], name: str, rule: str, source: Any
) -> None:
    """``ValueError`` unless ``target`` has ``shape``; ``rule`` says why, its ``{}`` is
    filled with the shape ``source`` on failure (shapes are formatted only then, so the
    check traces under ``torch.compile``)."""
    if tuple(target.shape) != tuple(shape):
        why = rule.format(fmt_shape(source))
        raise ValueError(
            f"{name} must have shape {fmt_shape(shape)} ({why}); got {fmt_shape(target.shape)}"
        )


def _p_distance(x: Any, y: Any, p: float, eps: float, xp: Any) -> Any:
    """``||x - y + eps||_p`` over the last axis, as ``torch.nn.functional.pairwise_distance``.

    The gradient at a zero difference is 0 (as torch's), not NaN; ``p = inf`` is the
    largest absolute difference.
    """
    d = xp.abs(x - y + eps)
    if p == 2:
        return safe_sqrt(xp.sum(d * d, axis=-1), xp)
    if p == 1:
        return xp.sum(d, axis=-1)
    if p == math.inf:  # compared, not math.isinf: a float torch.compile traces as a symbol
        return xp.max(d, axis=-1)
    nonzero = d > 0
    powered = xp.where(nonzero, xp.where(nonzero, d, xp.ones_like(d)) ** p, xp.zeros_like(d))
    total = xp.sum(powered, axis=-1)
    positive = total > 0
    root = xp.where(positive, total, xp.ones_like(total)) ** (1 / p)
    return xp.where(positive, root, xp.zeros_like(total))


def _torch_inverse_norm(x: Any, xp: Any) -> tuple[Any, Any]:
    """``1 / sqrt(||x||² + 1e-12)`` over the last axis, and ``1 -`` ``x``'s scaled norm².

    The second is ``1e-12 / (||x||² + 1e-12)``, computed without cancellation. Where the
    sum rounds to 0 (a zero vector in half precision) the inverse is 0 and the rest 1:
    the unit vector is then 0, the limit, with zero gradients instead of NaN.
    """
    sq = xp.sum(x * x, axis=-1) + _TORCH_COSINE_EPSILON
    ok = xp.logical_not(sq <= 0)  # NaN stays NaN
    one, zero = scalar_like(1.0, sq, xp), scalar_like(0.0, sq, xp)
    safe_sq = xp.where(ok, sq, one)
    inverse = xp.where(ok, 1 / xp.sqrt(safe_sq), zero)
    return inverse, xp.where(ok, _TORCH_COSINE_EPSILON / safe_sq, one)


class _CosineEmbedding:
    """``cosine_embedding``'s per-pair loss, and its gradient written out.

    With ``r = 1 / sqrt(||x||² + 1e-12)`` per vector, ``cos = (x_1 r_1) · (x_2 r_2)`` and
    ``d cos / d x_1 = r_1 (x_2 r_2 - cos x_1 r_1)`` (likewise for ``x_2``); the loss's
    slope in ``cos`` is -1 for similar pairs, 1 for dissimilar ones above the margin
    (1/2 at it, as autograd's ``maximum``). By hand (``custom_gradient``): autograd of
    the non-cancelling ``1 - cos`` differentiates the unit vectors' difference, twice
    the work; under ``torch.compile`` the loss took 1.7x the native forward+backward.
    """

    def __init__(self, margin: float, xp: Any) -> None:
        self.margin, self.xp = margin, xp

    def value(self, a: Any, b: Any, y: Any) -> tuple[Any, tuple[Any, ...]]:
        xp = self.xp
        r_a, rest_a = _torch_inverse_norm(a, xp)
        r_b, rest_b = _torch_inverse_norm(b, xp)
        unit_a, unit_b = a * r_a[..., None], b * r_b[..., None]
        cos = xp.sum(unit_a * unit_b, axis=-1)  # 0 where a norm² overflows, as its unit vector
        # 1 - cos without cancellation: ½||â - b̂||² + ½(1 - ||â||²) + ½(1 - ||b̂||²)
        diff = unit_a - unit_b
        one_minus_cos = (xp.sum(diff * diff, axis=-1) + rest_a + rest_b) / 2
        zero = scalar_like(0.0, cos, xp)
        dissimilar = relu(cos - self.margin, xp)
        out = xp.where(y == 1, one_minus_cos, zero) + xp.where(y == -1, dissimilar, zero)
        return out, (r_a, r_b, cos)

    def gradient(
        self, arrays: Any, saved: Any, g: Any, wanted: tuple[bool, ...]
    ) -> tuple[Any, Any, None]:
        xp = self.xp
        a, b, y = arrays
        r_a, r_b, cos = saved
        one, zero = scalar_like(1.0, cos, xp), scalar_like(0.0, cos, xp)
        above = xp.where(cos > self.margin, one, xp.where(cos == self.margin, one / 2, zero))
        slope = g * xp.where(y == 1, -one, xp.where(y == -1, above, zero))
        # per-row coefficients first: inductor then reads a and b once in the backward pass
        cross = (slope * r_a * r_b)[..., None]
        slope_cos = slope * cos
        grad_a = cross * b - (slope_cos * r_a * r_a)[..., None] * a if wanted[0] else None
        grad_b = cross * a - (slope_cos * r_b * r_b)[..., None] * b if wanted[1] else None
        return grad_a, grad_b, None


def _unit(x: Any, epsilon: float, xp: Any, *, axis: int) -> Any:
    """``x / max(||x||, epsilon)`` along ``axis`` (Keras' ``normalize``), zero stays zero.

    The floor is raised to the dtype's smallest normal number where ``epsilon`` is below
    it (float16): XLA on the CPU flushes subnormal divisors to 0, which made 0 / 0.
    """
    norm = safe_sqrt(xp.sum(x * x, axis=axis, keepdims=True), xp)
    floor = max(epsilon, float(xp.finfo(x.dtype).smallest_normal))
    return x / xp.maximum(norm, xp.full_like(norm, floor))


# --- losses --------------------------------------------------------------------------------


def _one_vector(hyperparameters: Any, ndim: int) -> bool:
    """Coupling rule: a 1-D input is one vector, its axis 0 the feature axis."""
    return ndim < 2


@loss(rules={"margin": at_least(0.0)})
def contrastive(
    d: Array, target: Array, *, margin: float = 1.0, reduction: Reduction = "mean"
) -> Array:
    r"""Contrastive loss on distances: pull similar pairs together, push others past ``margin``.

    .. math:: \ell = y\,d^2 + (1 - y)\,\max(0, m - d)^2

    with ``y = 1`` for a similar pair and ``y = 0`` for a dissimilar one (the loss of
    Hadsell et al. without its factor ½). Targets in between weigh the two terms (soft
    similarity); values outside [0, 1] raise ``ValueError`` on eager arrays.

    Parameters
    ----------
    d
        Distances between the two members of each pair (any shape).
    target
        1 (similar) or 0 (dissimilar), ``d``'s shape; integer or boolean arrays work.
    margin
        Distance beyond which dissimilar pairs cost nothing; must be >= 0.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per pair).

    References
    ----------
    Hadsell, Chopra & LeCun, "Dimensionality Reduction by Learning an Invariant Mapping",
    CVPR 2006.
    """
    ns, (dist, y) = resolve_floats(d, target, names=("d", "target"))
    xp = ns.xp
    check_in_range(y, 0.0, 1.0, "target", xp)
    push = relu(margin - dist, xp)
    return reduce(y * dist * dist + (1 - y) * push * push, reduction, xp)


@loss(
    rules={
        "margin": at_least(0.0),
        "p": greater_than(0.0, finite=False),  # p = inf is the largest difference
        "eps": at_least(0.0),
        "swap": boolean,
    },
    coupled=_one_vector,
)
def triplet_margin(
    anchor: Array,
    positive: Array,
    negative: Array,
    *,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: Reduction = "mean",
) -> Array:
    r"""Triplet margin loss: the positive must be closer to the anchor than the negative.

    .. math:: \ell = \max\big(0,\ m + d(a, p) - d(a, n)\big),\qquad
              d(x, y) = \lVert x - y + \epsilon \rVert_p

    over the last axis; ``eps`` is added to the difference before the norm, exactly as
    ``torch.nn.functional.pairwise_distance`` does. With ``swap=True`` the negative
    distance is ``min(d(a, n), d(p, n))`` (the distance swap of Balntas et al.).
    Matches ``torch.nn.functional.triplet_margin_loss``; it also takes ``margin=0``
    (torch asks for ``margin > 0``) and any leading shape.

    Parameters
    ----------
    anchor, positive, negative
        Embeddings of equal shape ``(..., D)``; ``"none"`` gives shape ``(...)``.
    margin
        Required gap between the two distances; must be >= 0.
    p
        Order of the norm; must be > 0 (``math.inf`` gives the largest difference).
    eps
        Added to each difference before the norm; must be >= 0.
    swap
        Use the smaller of the anchor–negative and positive–negative distances.

    References
    ----------
    Schroff, Kalenichenko & Philbin, "FaceNet: A Unified Embedding for Face Recognition
    and Clustering", CVPR 2015.
    Balntas, Riba, Ponsa & Mikolajczyk, "Learning local feature descriptors with triplets
    and shallow convolutional neural networks", BMVC 2016.
    """
    ns, (a, pos, neg) = resolve_floats(
        anchor, positive, negative, names=("anchor", "positive", "negative")
    )
    xp = ns.xp
    if a.ndim == 0:
        raise ValueError("triplet_margin needs embeddings with a feature axis; got 0-d arrays")
    d_pos = _p_distance(a, pos, p, eps, xp)
    d_neg = _p_distance(a, neg, p, eps, xp)
    if swap:
        d_neg = xp.minimum(d_neg, _p_distance(pos, neg, p, eps, xp))
    return reduce(relu(margin + d_pos - d_neg, xp), reduction, xp)


def _distance_function(name: str, value: Any) -> None:
    """Rule: ``None`` (torch's ``pairwise_distance``) or a callable ``distance(x1, x2)``."""
    if value is not None and not callable(value):
        raise HyperparameterTypeError(
            f"{name} must be None or a callable distance(x1, x2) returning one distance per "
            f"sample; got {type(value).__name__} {value!r}"
        )


def _distances(
    distance: Callable[[Any, Any], Any], pairs: tuple[tuple[Any, Any], ...], ns: Namespace
) -> list[Any]:
    """``distance(x1, x2)`` of each pair, checked: arrays of ``ns``'s library, one shape."""
    out = [distance(x1, x2) for x1, x2 in pairs]
    for d in out:
        if not hasattr(d, "shape"):
            raise TypeError(
                f"distance(x1, x2) must return an array of one distance per sample; got "
                f"{type(d).__name__}"
            )
        if d.shape != out[0].shape:
            raise ValueError(
                "distance(x1, x2) must return one shape for every pair; got "
                f"{fmt_shape(out[0].shape)} and {fmt_shape(d.shape)}"
            )
    return [ns.float(d) for d in out]


@loss(
    rules={"distance": _distance_function, "margin": at_least(0.0), "swap": boolean},
    coupled=_one_vector,
)
def triplet_margin_with_distance(
    anchor: Array,
    positive: Array,
    negative: Array,
    *,
    distance: Callable[[Any, Any], Any] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: Reduction = "mean",
) -> Array:
    r"""Triplet margin loss under any distance: the positive closer than the negative.

    .. math:: \ell = \max\big(0,\ m + d(a, p) - d(a, n)\big)

    with ``d = distance`` (with ``swap=True`` the negative distance is
    ``min(d(a, n), d(p, n))``). ``distance=None`` is torch's ``pairwise_distance``,
    :math:`\lVert x - y + 10^{-6} \rVert_2` over the last axis, as in
    :func:`triplet_margin`. Matches
    ``torch.nn.functional.triplet_margin_with_distance_loss``; it also takes ``margin=0``
    (torch asks for ``margin > 0``).

    Parameters
    ----------
    anchor, positive, negative
        Embeddings of equal shape (``(..., D)`` for the default distance, which makes
        ``"none"`` of shape ``(...)``).
    distance
        ``None``, or a callable ``distance(x1, x2)`` taking two such arrays and returning
        an array of one distance per sample (the same shape for every pair), used as
        given: written with the arrays' own library (``torch.cdist``-like code for torch,
        or with ``array_api_compat.array_namespace`` for every library). A callable is
        not part of the loss's configuration files: ``anyloss.get`` and the
        ``anyloss.torch`` module pickle it by reference (a module-level function pickles,
        a lambda does not).
    margin
        Required gap between the two distances; must be >= 0.
    swap
        Use the smaller of the anchor–negative and positive–negative distances.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Schroff, Kalenichenko & Philbin, "FaceNet: A Unified Embedding for Face Recognition
    and Clustering", CVPR 2015.
    Balntas, Riba, Ponsa & Mikolajczyk, "Learning local feature descriptors with triplets
    and shallow convolutional neural networks", BMVC 2016.
    """
    ns, (a, pos, neg) = resolve_floats(
        anchor, positive, negative, names=("anchor", "positive", "negative")
    )
    xp = ns.xp
    if distance is None:
        if a.ndim == 0:
            raise ValueError(
                "triplet_margin_with_distance needs embeddings with a feature axis for the "
                "default distance; got 0-d arrays"
            )
        distance = functools.partial(_p_distance, p=2.0, eps=1e-6, xp=xp)
    pairs = ((a, pos), (a, neg), (pos, neg)) if swap else ((a, pos), (a, neg))
    d_pos, d_neg, *d_swap = _distances(distance, pairs, ns)
    if d_swap:
        d_neg = xp.minimum(d_neg, d_swap[0])
    return reduce(relu(margin + d_pos - d_neg, xp), reduction, xp)


def _pair_inputs(x1: Any, x2: Any, target: Any) -> tuple[Namespace, Any, Any, Any]:
    """Resolve ``x1, x2`` (equal shapes, ``(..., D)``) and a ``target`` of shape ``(...)``."""
    ns = resolve(x1, x2, target)
    check_same_shape(x1, x2, "x1", "x2")
    if x1.ndim == 0:
        raise ValueError("x1 and x2 need a feature axis; got 0-d arrays")
    _check_target_shape(
        target,
        tuple(x1.shape[:-1]),
        "target",
        "x1's shape {} without its last axis",
        x1.shape,
    )
    return ns, ns.float(x1), ns.float(x2), ns.float(target)


@loss(rules={"margin": in_interval(-1.0, 1.0)}, coupled=_one_vector)
def cosine_embedding(
    x1: Array, x2: Array, target: Array, *, margin: float = 0.0, reduction: Reduction = "mean"
) -> Array:
    r"""Cosine embedding loss: similar pairs align, dissimilar ones stay below ``margin``.

    .. math:: \ell = \begin{cases} 1 - \cos(x_1, x_2) & y = 1 \\
              \max(0, \cos(x_1, x_2) - m) & y = -1 \end{cases},\qquad
              \cos = \frac{x_1\cdot x_2}{\sqrt{(\lVert x_1\rVert^2 + 10^{-12})
              (\lVert x_2\rVert^2 + 10^{-12})}}

    over the last axis, with torch's ``1e-12`` added to each squared norm. Matches
    ``torch.nn.functional.cosine_embedding_loss`` (inputs ``(N, D)`` with target ``(N,)``,
    or ``(D,)`` with a 0-d target), and takes any leading shape. ``1 - cos`` is computed
    as :math:`\tfrac12\lVert \hat x_1 - \hat x_2\rVert^2` plus the (exact) shortfall of
    the unit vectors' norms, so nearly parallel pairs keep their relative precision in
    float32 (torch's ``1 - cos`` cancels there). A zero vector has cosine 0, with a
    finite gradient (also in half precision, where the ``1e-12`` rounds to 0).

    Parameters
    ----------
    x1, x2
        Embeddings of equal shape ``(..., D)``.
    target
        ``+1`` or ``-1``, shape ``(...)``; ``"none"`` gives that shape.
    margin
        Cosine below which dissimilar pairs cost nothing; must lie in [-1, 1] (torch
        accepts any number, but outside [-1, 1] the margin is either never or always
        active).

    References
    ----------
    Paszke et al., "PyTorch: An Imperative Style, High-Performance Deep Learning Library",
    NeurIPS 2019 (``CosineEmbeddingLoss``).
    """
    ns, a, b, y = _pair_inputs(x1, x2, target)
    xp = ns.xp
    check_one_of(y, (-1.0, 1.0), "target", xp)
    pairs = _CosineEmbedding(margin, xp)
    return reduce(custom_gradient(pairs.value, pairs.gradient, a, b, y), reduction, xp)


@loss(rules={"margin": _ANY_REAL})
def margin_ranking(
    x1: Array, x2: Array, target: Array, *, margin: float = 0.0, reduction: Reduction = "mean"
) -> Array:
    r"""Margin ranking loss: ``x1`` should rank above ``x2`` where ``y = 1``, below where ``-1``.

    .. math:: \ell = \max\big(0,\ -y\,(x_1 - x_2) + m\big)

    Matches ``torch.nn.functional.margin_ranking_loss``. ``x1``, ``x2`` and ``target``
    have one shape (no broadcasting); ``"none"`` gives one value per element.

    Parameters
    ----------
    x1, x2
        Scores of equal shape.
    target
        ``+1`` or ``-1``, the same shape.
    margin
        Required score gap; any finite number (a negative margin tolerates inversions up
        to ``|margin|``, as in torch).

    References
    ----------
    Herbrich, Graepel & Obermayer, "Large Margin Rank Boundaries for Ordinal Regression",
    in Advances in Large Margin Classifiers, MIT Press, 2000.
    """
    ns, (a, b, y) = resolve_floats(x1, x2, target, names=("x1", "x2", "target"))
    xp = ns.xp
    check_one_of(y, (-1.0, 1.0), "target", xp)
    return reduce(relu(-y * (a - b) + margin, xp), reduction, xp)


@loss(rules={"margin": at_least(0.0)})
def hinge_embedding(
    distances: Array, target: Array, *, margin: float = 1.0, reduction: Reduction = "mean"
) -> Array:
    r"""Hinge embedding loss on distances: small for similar pairs, beyond ``margin`` otherwise.

    .. math:: \ell = \begin{cases} d & y = 1 \\ \max(0, m - d) & y = -1 \end{cases}

    Matches ``torch.nn.functional.hinge_embedding_loss`` (equal shapes, no broadcasting;
    ``"none"`` gives one value per element).

    Parameters
    ----------
    distances
        Distances (or dissimilarity scores), any shape.
    target
        ``+1`` (similar) or ``-1`` (dissimilar), the same shape.
    margin
        Distance beyond which dissimilar pairs cost nothing; must be >= 0.

    References
    ----------
    Collobert, Kavukcuoglu & Farabet, "Torch7: A Matlab-like Environment for Machine
    Learning", BigLearn, NIPS Workshop 2011 (``HingeEmbeddingCriterion``).
    """
    ns, (d, y) = resolve_floats(distances, target, names=("distances", "target"))
    xp = ns.xp
    check_one_of(y, (-1.0, 1.0), "target", xp)
    zero = xp.zeros_like(d)
    # torch's form: targets other than +-1 (unchecked under jit) get both terms
    out = xp.where(y != 1, relu(margin - d, xp), zero) + xp.where(y != -1, d, zero)
    return reduce(out, reduction, xp)


@loss(rules={"axis": integer})
def cosine_similarity(
    pred: Array, target: Array, *, axis: int = -1, reduction: Reduction = "mean"
) -> Array:
    r"""Negative cosine similarity along ``axis`` (so that minimising aligns the vectors).

    .. math:: \ell = -\sum_i \frac{p_i}{\max(\lVert p\rVert, \epsilon)}
              \frac{t_i}{\max(\lVert t\rVert, \epsilon)},\qquad \epsilon = 10^{-7}

    Matches ``keras.losses.CosineSimilarity(axis=axis)`` (Keras l2-normalises with
    ``x * min(1/||x||, 1/epsilon)``, the same thing). A zero vector gives 0 with a finite
    gradient.

    Parameters
    ----------
    pred, target
        Arrays of equal shape.
    axis
        The vector axis; ``"none"`` gives the shape without it.

    References
    ----------
    Salton & McGill, "Introduction to Modern Information Retrieval", McGraw-Hill, 1983.
    Chollet et al., "Keras", https://keras.io, 2015 (``CosineSimilarity``).
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    ax = check_axis(axis, p.ndim)
    cos = xp.sum(
        _unit(p, KERAS_EPSILON, xp, axis=ax) * _unit(t, KERAS_EPSILON, xp, axis=ax), axis=ax
    )
    return reduce(-cos, reduction, xp)


def _pair_masks(labels: Any, n: int, ns: Namespace) -> tuple[Any, Any]:
    """Boolean ``(N, N)`` masks: positives (same label, off the diagonal), negatives."""
    xp = ns.xp
    same = xp.expand_dims(labels, axis=1) == xp.expand_dims(labels, axis=0)
    idx = xp.arange(n, device=ns.device)
    off_diagonal = xp.expand_dims(idx, axis=1) != xp.expand_dims(idx, axis=0)
    return xp.logical_and(same, off_diagonal), xp.logical_not(same)


def _masked_rows_logsumexp(s: Any, mask: Any, xp: Any) -> tuple[Any, Any]:
    """Row-wise ``log sum exp(s)`` over the entries ``mask`` selects, and whether a row has any.

    Rows with an empty mask give 0 (masked out by the caller) with a zero gradient.
    """
    any_in = xp.any(mask, axis=1, keepdims=True)
    masked = xp.where(mask, s, scalar_like(-math.inf, s, xp))
    lse = masked_logsumexp(masked, xp, axis=1)
    return xp.where(any_in, lse, scalar_like(0.0, s, xp)), any_in


@loss(
    labels=(1,),
    rules={"temperature": greater_than(0.0)},
    coupled=True,  # every embedding is a negative of every other
)
def ntxent(
    embeddings: Array, labels: Array, *, temperature: float = 0.07, reduction: Reduction = "mean"
) -> Array:
    r"""Normalised temperature-scaled cross entropy (NT-Xent, the SimCLR loss).

    With :math:`s_{ik} = \cos(e_i, e_k) / \tau`, every positive pair ``(i, j)`` (same
    label, ``i != j``) is a softmax over ``j`` and the negatives of ``i`` (other labels):

    .. math:: \ell_{ij} = -\log\frac{e^{s_{ij}}}{e^{s_{ij}} + \sum_{k:\,y_k \ne y_i}
              e^{s_{ik}}} = \operatorname{softplus}\Big(\log\sum_{k:\,y_k \ne y_i}
              e^{s_{ik}} - s_{ij}\Big)

    ``"none"`` gives one value per embedding, :math:`\sum_j \ell_{ij}` over its positives
    (0 where it has none); ``"sum"`` their sum; ``"mean"`` divides that sum by the number
    of positive pairs, which matches ``optax.ntxent`` (with two views per label, as in
    SimCLR, every embedding has one positive and ``"mean"`` is the plain mean of
    ``"none"``). A batch without a positive pair gives 0 (Optax gives NaN). The
    log-sum-exp is shifted by its row maximum, so temperatures like 0.01 and float16
    inputs do not overflow. Cosines use Optax's floor on the squared norm, the dtype's
    machine epsilon, so a zero embedding has cosine 0.

    Parameters
    ----------
    embeddings
        ``(N, D)`` embeddings.
    labels
        ``(N,)`` labels (integers, any values): equal labels mark positive pairs.
    temperature
        Softmax temperature; must be > 0.

    References
    ----------
    Chen, Kornblith, Norouzi & Hinton, "A Simple Framework for Contrastive Learning of
    Visual Representations", ICML 2020.
    Sohn, "Improved Deep Metric Learning with Multi-class N-pair Loss Objective",
    NeurIPS 2016.
    """
    ns = resolve(embeddings, labels)
    xp = ns.xp
    if embeddings.ndim != 2:
        raise ValueError(
            f"embeddings must be (N, D); got shape {fmt_shape(embeddings.shape)}"
            f"{swapped_hint(embeddings, labels)}"
        )
    n = embeddings.shape[0]
    _check_target_shape(
        labels, (n,), "labels", "one label per row of embeddings {}", embeddings.shape
    )
    e = ns.float(embeddings)
    sq = xp.sum(e * e, axis=1, keepdims=True)
    unit = e / xp.sqrt(xp.maximum(sq, scalar_like(float(xp.finfo(ns.dtype).eps), sq, xp)))
    s = xp.matmul(unit / temperature, xp.permute_dims(unit, (1, 0)))
    positive, negative = _pair_masks(labels, n, ns)
    # -log(e^s / (e^s + e^lse)) = softplus(lse - s) over the positive pairs; a row
    # without negatives has lse = -inf (zero gradient), so its pairs give exactly 0
    lse = masked_logsumexp(xp.where(negative, s, scalar_like(-math.inf, s, xp)), xp, axis=1)
    n_pairs = xp.astype(xp.count_nonzero(positive), ns.dtype)
    per_row = masked_summed_softplus(lse - s, positive, xp, axis=1)
    return reduce(per_row, reduction, xp, normalizer=n_pairs)
