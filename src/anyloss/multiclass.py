"""Multiclass losses beyond cross-entropy: margins, robust and sparse alternatives (CATALOG.md v2).

``multilabel_margin`` (torch's multi-label hinge), ``generalized_cross_entropy`` (the
noise-robust GCE), ``sparsemax`` (the sparsemax loss), ``perceptron`` and
``multiclass_perceptron`` (Optax's perceptron losses). The class axis is ``axis=-1`` by
default; class-index targets are read with the helpers of :mod:`anyloss.classification`
(on eager arrays a label out of range raises ``ValueError``; where values are not
checked, under ``jax.jit``/``torch.compile`` or on dask, its sample gives NaN).
``reduction="none"`` gives one value per sample (every index but ``axis``), except for
the elementwise ``perceptron``.
"""

from __future__ import annotations

from typing import Any

from ._classes import _gather, _labels, _setup
from ._compat import (
    compiled_custom_gradient,
    cumulative_sum,
    device_of,
    scalar_like,
    stop_gradient,
)
from ._namespace import Namespace, resolve, resolve_floats
from ._primitives import max_along, nan_where, relu
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    check_axis,
    check_one_of,
    check_probabilities,
    check_same_shape,
    greater_than,
    in_interval,
    integer,
    swapped_hint,
)

__all__ = [
    "generalized_cross_entropy",
    "multiclass_perceptron",
    "multilabel_margin",
    "perceptron",
    "sparsemax",
]

_END = -1  # multilabel_margin: the target classes end at the first -1


def _q_rule(name: str, value: Any) -> None:
    """Rule: ``q`` in (0, 1]."""
    greater_than(0.0)(name, value)
    in_interval(0.0, 1.0)(name, value)


def _class_indices(
    logits: Any, target: Any, axis: int, loss_name: str
) -> tuple[Namespace, int, Any, Any]:
    """Namespace, axis, labels (bad ones replaced by 0) and the bad mask (or None)."""
    ns, ax, num_classes, index, _ = _setup(logits, target, None, axis, None)
    if not index:
        raise ValueError(
            f"{loss_name} takes integer class indices; got a target of dtype {target.dtype}"
        )
    labels, _, bad = _labels(target, None, num_classes, ns)
    return ns, ax, labels, bad


# --- multilabel_margin -------------------------------------------------------------------


def _listed(target: Any, num_classes: int, ax: int, xp: Any, like: Any) -> Any:
    """Whether each entry of ``target`` comes before the first -1 along ``ax``.

    The position of the first -1 (``C`` where there is none) is a min over ``ax`` (a
    max of negated positions, which ``max_along`` also takes over an empty axis), in
    ``like``'s float dtype: eager torch's integer min along a short axis is ~25x
    slower. A cumulative count of -1s says the same, but under ``torch.compile`` its
    scan runs as a kernel of its own, where the max fuses with its neighbours.
    """
    positions = xp.astype(_class_axis_values(num_classes, target.ndim, ax, xp, like), like.dtype)
    ends = xp.where(target == _END, -positions, scalar_like(-float(num_classes), like, xp))
    return positions < -max_along(ends, xp, axis=ax, keepdims=True)


def _listed_labels(
    target: Any, num_classes: int, ax: int, ns: Namespace, like: Any
) -> tuple[Any, Any, Any]:
    """The labels before the first -1 along ``ax``: (labels, listed mask, bad mask or None).

    Later entries are ignored whatever their value. Listed labels go through the
    class-index check of ``classification._labels`` (with -1 as the ignored value).
    """
    xp = ns.xp
    listed = _listed(target, num_classes, ax, xp, like)
    masked = xp.where(listed, target, xp.full_like(target, _END))
    labels, keep, bad = _labels(masked, _END, num_classes, ns)
    return labels, keep, bad


def _class_axis_values(num_classes: int, ndim: int, axis: int, xp: Any, like: Any) -> Any:
    """``arange(C)`` shaped to run along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = num_classes
    return xp.reshape(xp.arange(num_classes, device=device_of(like)), tuple(shape))


def _class_counts(labels: Any, listed: Any, ax: int, xp: Any, like: Any) -> Any:
    """How often each class is listed, along ``ax`` (``like``'s float dtype): 0 for the
    other classes. Each listed label is compared with ``arange(C)`` in a new axis."""
    num_classes = like.shape[ax]
    classes = _class_axis_values(num_classes, labels.ndim + 1, ax + 1, xp, like)
    names = xp.logical_and(
        xp.expand_dims(labels, axis=ax + 1) == classes, xp.expand_dims(listed, axis=ax + 1)
    )
    return xp.sum(xp.astype(names, like.dtype), axis=ax)


def _pair_hinges(s: Any, counts: Any, ax: int, xp: Any) -> Any:
    """Per sample ``sum_c counts_c sum_{i: counts_i = 0} max(0, 1 - s_c + s_i) / C``.

    One select keeps a pair's gap where ``i`` is no target and the gap is not ``<= 0``:
    NaN passes, ``-inf`` and the kink give 0 with a zero gradient (torch's choice).
    A product with 0/1 weights would turn an infinite gap of a pair that does not count
    into NaN. Folding the hinge into the pair select, not ``positive_part`` inside it,
    spares ``torch.compile`` a saved (..., C, C) output: ~10% of its forward+backward.
    """
    zero = scalar_like(0.0, s, xp)
    gaps = 1 - xp.expand_dims(s, axis=ax + 1) + xp.expand_dims(s, axis=ax)  # (c, i)
    counted = xp.logical_and(xp.expand_dims(counts == 0, axis=ax), xp.logical_not(gaps <= 0))
    per_class = xp.sum(xp.where(counted, gaps, zero), axis=ax + 1)
    return xp.sum(xp.where(counts > 0, counts * per_class, zero), axis=ax) / s.shape[ax]


def _pair_hinge_gradient(
    arrays: tuple[Any, ...], saved: tuple[Any, ...], g: Any, ax: int, xp: Any
) -> tuple[Any, None]:
    """``_pair_hinges``' gradient with respect to the scores (none for the counts).

    With ``rising[c, i]`` the pair selects of ``_pair_hinges`` (gap not ``<= 0``): class
    k gains ``sum_c counts_c rising[c, k]`` where it is no target and loses ``counts_k
    sum_i [counts_i = 0] rising[k, i]`` where it is one; times ``g / C``.
    """
    s, counts = arrays
    zero = scalar_like(0.0, s, xp)
    other = xp.astype(counts == 0, s.dtype)
    gaps = 1 - xp.expand_dims(s, axis=ax + 1) + xp.expand_dims(s, axis=ax)  # (c, i)
    rising = xp.logical_not(gaps <= 0)
    axes = list(range(s.ndim + 1))
    axes[ax], axes[ax + 1] = ax + 1, ax
    into = xp.permute_dims(rising, tuple(axes))  # (i, c): the pairs that raise class i
    gained = xp.sum(xp.where(into, xp.expand_dims(counts, axis=ax), zero), axis=ax + 1)
    lost = xp.sum(xp.where(rising, xp.expand_dims(other, axis=ax), zero), axis=ax + 1)
    return (other * gained - counts * lost) * xp.expand_dims(g / s.shape[ax], axis=ax), None


@loss(labels=(1,), rules={"axis": integer})
def multilabel_margin(
    scores: Array, target: Array, *, axis: int = -1, reduction: Reduction = "mean"
) -> Array:
    r"""Multi-label margin (hinge) loss: every target class above every other class.

    .. math:: \ell = \frac{1}{C} \sum_{j \in Y} \sum_{i \notin Y}
              \max\big(0,\ 1 - (s_{j} - s_i)\big)

    with :math:`Y` the classes listed in ``target`` before its first ``-1`` (a class
    listed twice counts twice, as in torch). Matches
    ``torch.nn.functional.multilabel_margin_loss`` (class axis last), except that
    entries after the first ``-1`` are ignored whatever their value (torch also
    range-checks them) and a NaN score gives NaN (torch's kernel skips it). The pairs
    are formed over the class axis, an ``(..., C, C)`` intermediate: fine for class
    counts, not meant for vocabularies. The pairs run between classes, each target
    class weighed by how often it is listed (no listed score is gathered). At a
    hinge's kink the gradient is 0, as torch's; under ``torch.compile`` it is written
    out (``_compat.compiled_custom_gradient``). On CPU torch tensors with finite scores,
    torch's own kernel serves the call (``_delegation``), which loops over the listed
    classes alone.

    Parameters
    ----------
    scores
        Scores, ``C`` classes along ``axis``.
    target
        Integer array of ``scores``' shape: along ``axis``, the target classes first,
        then ``-1`` (the rest is ignored). A listed class outside ``[0, C)`` raises
        ``ValueError`` where values are checked; elsewhere its sample gives NaN.
    axis
        The class axis (default -1).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Crammer & Singer, "A Family of Additive Online Algorithms for Category Ranking",
    JMLR, 2003. Paszke et al., "PyTorch: An Imperative Style, High-Performance Deep
    Learning Library", NeurIPS 2019 (``MultiLabelMarginLoss``).
    """
    ns = resolve(scores, target)
    check_same_shape(scores, target, "scores", "target")
    xp = ns.xp
    if not xp.isdtype(target.dtype, "integral"):
        raise ValueError(
            f"target must hold integer class indices (then -1); got dtype {target.dtype}"
            f"{swapped_hint(scores, target)}"
        )
    s = ns.float(scores)
    ax = check_axis(axis, s.ndim)
    labels, listed, bad = _listed_labels(target, int(s.shape[ax]), ax, ns, s)
    counts = _class_counts(labels, listed, ax, xp, s)

    def value(s: Any, counts: Any) -> tuple[Any, tuple[Any, ...]]:
        return _pair_hinges(s, counts, ax, xp), ()

    def gradient(arrays: Any, saved: Any, g: Any, wanted: tuple[bool, ...]) -> tuple[Any, None]:
        return _pair_hinge_gradient(arrays, saved, g, ax, xp)

    per_sample = compiled_custom_gradient(value, gradient, s, counts)
    if bad is not None:
        bad = xp.any(bad, axis=ax)
    return reduce(nan_where(bad, per_sample, xp), reduction, xp)


# --- generalized cross-entropy -----------------------------------------------------------


def _one_minus_power_over_q(p: Any, q: Any, xp: Any) -> Any:
    """``(1 - p^q) / q`` as ``-expm1(q log p) / q``, and ``(1 - p) / q`` at ``p = 0``.

    Both forms give ``1/q`` at 0. There the true slope is ``-inf`` for ``q < 1``; the
    linear form gives the finite slope ``-1/q`` (exact for ``q = 1``). Double where: the
    log never sees a 0, and NaN takes the linear form (NaN out).
    """
    positive = p > 0
    log_p = xp.log(xp.where(positive, p, xp.ones_like(p)))
    return xp.where(positive, -xp.expm1(q * log_p) / q, (1 - p) / q)


@loss(rules={"axis": integer, "q": _q_rule})
def generalized_cross_entropy(
    probs: Array, target: Array, *, q: float = 0.5, axis: int = -1, reduction: Reduction = "mean"
) -> Array:
    r"""Generalized cross-entropy (GCE), a noise-robust mix of cross-entropy and MAE.

    .. math:: \ell = \frac{1 - p_y^{\,q}}{q}, \qquad p_y = \sum_c t_c\, p_c
              \text{ for a one-hot } t

    :math:`q \to 0` gives the cross-entropy :math:`-\log p_y`, :math:`q = 1` the mean
    absolute error :math:`1 - p_y`. Computed as :math:`-\operatorname{expm1}(q \log
    p_y)/q`; at :math:`p_y = 0` the value is :math:`1/q` with the finite slope
    :math:`-1/q` (the true one is unbounded for :math:`q < 1`). Matches
    ``keras.losses.CategoricalGeneralizedCrossEntropy(q)`` on integer labels (Keras
    takes :math:`q` in (0, 1); here :math:`q = 1` is allowed too).

    Parameters
    ----------
    probs
        Probabilities, classes along ``axis``, in [0, 1] (checked on eager arrays:
        ``ValueError`` otherwise).
    target
        Integer class indices (``probs``' shape without ``axis``) or one-hot rows
        (``probs``' shape).
    q
        The exponent, in (0, 1].
    axis
        The class axis (default -1).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Zhang & Sabuncu, "Generalized Cross Entropy Loss for Training Deep Neural Networks
    with Noisy Labels", NeurIPS 2018.
    """
    ns, ax, num_classes, index, _ = _setup(probs, target, None, axis, None)
    xp = ns.xp
    p = ns.float(probs)
    check_probabilities(xp, probs=p)
    bad = None
    if index:
        labels, _, bad = _labels(target, None, num_classes, ns)
        p_y = _gather(p, labels, ax, xp)
    else:
        p_y = xp.sum(ns.float(target) * p, axis=ax)
    return reduce(nan_where(bad, _one_minus_power_over_q(p_y, q, xp), xp), reduction, xp)


# --- sparsemax ---------------------------------------------------------------------------


def _sparsemax_threshold(z: Any, xp: Any, *, axis: int) -> Any:
    """The sparsemax threshold ``tau`` along ``axis`` (keepdims): ``sum_c relu(z_c - tau) = 1``.

    Sorted descending, ``k`` runs over the support while ``1 + k z_(k) > sum_{j<=k}
    z_(j)`` (a prefix); ``tau = (sum of the support - 1) / |support|``. Values only: the
    loss uses ``tau`` as a constant.
    """
    z = stop_gradient(z)
    ordered = xp.sort(z, axis=axis, descending=True)
    partial = cumulative_sum(ordered, xp, axis=axis)
    shape = [1] * z.ndim
    shape[axis] = z.shape[axis]
    k = xp.reshape(
        xp.arange(1, z.shape[axis] + 1, dtype=z.dtype, device=device_of(z)), tuple(shape)
    )
    support = 1 + k * ordered > partial
    size = xp.sum(xp.astype(support, z.dtype), axis=axis, keepdims=True)
    size = xp.maximum(size, xp.ones_like(size))  # 0 only for a NaN row (NaN out anyway)
    mass = xp.sum(xp.where(support, ordered, xp.zeros_like(ordered)), axis=axis, keepdims=True)
    return (mass - 1) / size


@loss(labels=(1,), rules={"axis": integer})
def sparsemax(
    logits: Array, target: Array, *, axis: int = -1, reduction: Reduction = "mean"
) -> Array:
    r"""Sparsemax loss: the sparse counterpart of softmax cross-entropy.

    With :math:`d = z - z_y` and the sparsemax threshold :math:`\tau` of :math:`d`
    (:math:`\sum_c \max(0, d_c - \tau) = 1`),

    .. math:: \ell = \tau + \tfrac12 \sum_c \max(0,\ d_c - \tau)^2 + \tfrac12
              = -z_y + \tfrac12 \sum_{c \in S} (z_c^2 - \tau_z^2) + \tfrac12

    (:math:`S` the support, :math:`\tau_z = \tau + z_y`); its gradient is
    :math:`\operatorname{sparsemax}(z) - e_y`. The first form is the minimum over
    :math:`\tau` of the right side, so :math:`\tau` (found by a sort and a cumulative
    sum) enters as a constant and autograd gives exactly that gradient, also at ties
    (the squared hinge has slope 0 at the threshold). Shifting by :math:`z_y` makes a
    confidently right sample exactly 0. Matches ``optax.multiclass_sparsemax_loss``.

    Parameters
    ----------
    logits
        Scores, ``C`` classes along ``axis``.
    target
        Integer class indices, ``logits``' shape without ``axis``.
    axis
        The class axis (default -1).
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sample).

    References
    ----------
    Martins & Astudillo, "From Softmax to Sparsemax: A Sparse Model of Attention and
    Multi-Label Classification", ICML 2016.
    """
    ns, ax, labels, bad = _class_indices(logits, target, axis, "sparsemax")
    xp = ns.xp
    z = ns.float(logits)
    z_y = _gather(z, labels, ax, xp, bad)  # a bad label: a NaN row
    d = z - xp.expand_dims(z_y, axis=ax)
    tau = _sparsemax_threshold(d, xp, axis=ax)
    above = relu(d - tau, xp)
    per_sample = xp.squeeze(tau, axis=ax) + xp.sum(above * above, axis=ax) / 2 + 0.5
    return reduce(per_sample, reduction, xp)


# --- perceptrons -------------------------------------------------------------------------


@loss()
def perceptron(scores: Array, target: Array, *, reduction: Reduction = "mean") -> Array:
    r"""Binary perceptron loss, :math:`\ell = \max(0, -y\,s)`, for targets in {-1, +1}.

    Matches ``optax.perceptron_loss``. Targets other than ±1 raise ``ValueError`` on
    eager arrays (elsewhere the formula is applied as given).

    Parameters
    ----------
    scores
        Scores ``s``.
    target
        Targets in {-1, +1}, the shape of ``scores``.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).

    References
    ----------
    Rosenblatt, "The Perceptron: A Probabilistic Model for Information Storage and
    Organization in the Brain", Psychological Review, 1958.
    """
    ns, (s, y) = resolve_floats(scores, target, names=("scores", "target"))
    xp = ns.xp
    check_one_of(y, (-1.0, 1.0), "target", xp)
    return reduce(relu(-y * s, xp), reduction, xp)


@loss(labels=(1,), rules={"axis": integer})
def multiclass_perceptron(
    scores: Array, target: Array, *, axis: int = -1, reduction: Reduction = "mean"
) -> Array:
    r"""Multiclass perceptron loss, :math:`\ell = \max_c s_c - s_y`.

    Zero exactly where the target class has the top score; the gradient is
    :math:`e_{\arg\max} - e_y`. Matches ``optax.multiclass_perceptron_loss``.

    Parameters
    ----------
    scores, target, axis, reduction
        As in :func:`sparsemax`: scores with ``C`` classes along ``axis``, integer
        class indices, one value per sample under ``"none"``.

    References
    ----------
    Collins, "Discriminative Training Methods for Hidden Markov Models: Theory and
    Experiments with Perceptron Algorithms", EMNLP 2002.
    """
    ns, ax, labels, bad = _class_indices(scores, target, axis, "multiclass_perceptron")
    xp = ns.xp
    s = ns.float(scores)
    picked = _gather(s, labels, ax, xp, bad)
    return reduce(max_along(s, xp, axis=ax) - picked, reduction, xp)
