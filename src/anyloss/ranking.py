"""Listwise ranking losses: scores of the items of a list against their relevance labels.

The list axis is ``axis=-1`` by default; every other axis indexes lists. ``where`` (a
boolean array of the scores' shape) marks the valid items of each list, as in Optax and
Rax: a masked item enters neither the softmax nor the labels' normalisation.
"""

from __future__ import annotations

import math
from typing import Any

from ._classes import _soft_cross_entropy
from ._namespace import resolve
from ._primitives import safe_div, shifted_logsumexp
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    HyperparameterTypeError,
    check_axis,
    check_same_shape,
    integer,
    is_eager,
    least_value,
)

__all__ = ["ranking_softmax"]


def _mask_rule(name: str, value: Any) -> None:
    """Rule: ``None`` or a boolean array (its shape is checked against the scores)."""
    if value is None:
        return
    dtype = getattr(value, "dtype", None)
    if dtype is None or str(dtype).rsplit(".", 1)[-1] != "bool":
        kind = f"an array of dtype {dtype}" if dtype is not None else f"{value!r}"
        raise HyperparameterTypeError(
            f"{name} must be None or a boolean array marking the valid items; got {kind}"
        )


def _check_labels(labels: Any, xp: Any) -> None:
    """On eager arrays, ``ValueError`` unless every (valid) relevance label is >= 0."""
    if is_eager(labels) and math.prod(labels.shape) > 0 and bool(xp.any(labels < 0)):
        raise ValueError(
            f"labels must be >= 0 (relevance) on the valid items; got a minimum of "
            f"{least_value(labels)}"
        )


@loss(rules={"axis": integer, "where": _mask_rule})
def ranking_softmax(
    scores: Array,
    labels: Array,
    *,
    axis: int = -1,
    where: Any = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Listwise softmax cross-entropy (ListNet): the labels, normalised, as a target.

    For a list of scores :math:`s` with relevance labels :math:`y \ge 0` over its valid
    items :math:`V`,

    .. math:: \ell = -\sum_{i \in V} \hat y_i \log
              \frac{e^{s_i}}{\sum_{j \in V} e^{s_j}}, \qquad
              \hat y_i = \frac{y_i}{\sum_{j \in V} y_j}

    (the log-sum-exp shifted by its stopped maximum). A list without a relevant valid
    item gives 0. "none" is one value per list; "mean" averages the lists that have at
    least one valid item (all of them without ``where``), as Optax does.

    Matches ``rax.softmax_loss(..., label_fn=rax.utils.normalize_probabilities)`` where
    every list has a relevant item (Rax spreads a list without one uniformly; Rax's
    default uses the labels unnormalised), and ``optax.ranking_softmax_loss`` on labels
    normalised so (Optax uses the labels as given).

    Parameters
    ----------
    scores
        Scores of the items, lists along ``axis``.
    labels
        Relevance labels >= 0 (graded or binary), ``scores``' shape; checked on eager
        arrays (masked items are not).
    axis
        The list axis.
    where
        Optional boolean array of ``scores``' shape: ``True`` for the valid items.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per list).

    References
    ----------
    Cao, Qin, Liu, Tsai & Li, "Learning to Rank: From Pairwise Approach to Listwise
    Approach", ICML 2007.
    Jagerman, Qin, Wang, Bendersky & Najork, "Rax: Composable Learning-to-Rank Using
    JAX", KDD 2022.
    """
    ns = resolve(scores, labels, where)
    check_same_shape(scores, labels, "scores", "labels")
    if where is not None:
        check_same_shape(scores, where, "scores", "where")
    xp = ns.xp
    ax = check_axis(axis, scores.ndim)
    s, y = ns.float(scores), ns.float(labels)
    if where is not None:
        # a list with no valid item is filled with zeros (its loss is 0 either way), so
        # every log-sum-exp sees a finite score and masked items get exactly 0 weight
        some = xp.any(where, axis=ax, keepdims=True)
        filler = xp.where(some, xp.full_like(s, -math.inf), xp.zeros_like(s))
        s = xp.where(where, s, filler)
        y = xp.where(where, y, xp.zeros_like(y))
    _check_labels(y, xp)
    target = safe_div(y, xp.sum(y, axis=ax, keepdims=True), xp)
    z, log_s, _ = shifted_logsumexp(s, xp, axis=ax)
    per_list = _soft_cross_entropy(z, log_s, target, None, ax, xp)
    if where is None:
        return reduce(per_list, reduction, xp)
    lists = xp.sum(xp.astype(xp.squeeze(some, axis=ax), per_list.dtype))
    return reduce(per_list, reduction, xp, normalizer=lists)
