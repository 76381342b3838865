"""The mean of a loss over a batch split across workers: its numerator and denominator.

Data-parallel training and chunked evaluation see a batch in shards. The global "mean"
is the sum of the shards' sums over the sum of the shards' denominators, not the mean of
the shards' means: these differ wherever the shards' denominators differ (an uneven
split, ``ignore_index``, class weights). :func:`mean_parts` returns both parts of one
shard's mean in one pass; a worker all-reduces (sums) both and divides once.

Each loss states its denominator once, in its own call to ``reduce`` (the element count,
or the normaliser it passes, such as the sum of target weights of ``cross_entropy``):
``mean_parts`` asks that same call for it, so the parts and ``reduction="mean"`` cannot
drift apart.

The batch axis is axis 0. A loss is *shardable* when the loss of a sample depends on that
sample's rows only: then sums and denominators add up over shards of axis 0. It is not
when the loss couples the batch (``ntxent``, the Lovász losses pooled over the batch), or
when a hyperparameter axis pools or reads along axis 0 (``dice(axis=None)`` pools every
pixel of the batch into one score; ``cross_entropy(axis=0)`` makes axis 0 the class axis).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._reduction import MeanParts
from ._registry import _REGISTRY, Loss, LossSpec, spec

__all__ = ["mean_denominator", "mean_parts", "shardable"]

# hyperparameters that name axes of the inputs; ``None`` means every axis (pooled)
_AXIS_KEYS = ("axis", "class_axis")


def _configured(loss: Any, hyperparameters: Mapping[str, Any]) -> tuple[LossSpec, dict[str, Any]]:
    """The registry entry of ``loss`` and its validated hyperparameters (no ``reduction``)."""
    if "reduction" in hyperparameters:
        raise TypeError(
            "mean_parts/mean_denominator/shardable take no reduction: they give the parts "
            "of reduction='mean' (the numerator is reduction='sum')"
        )
    bound: dict[str, Any] = {}
    if isinstance(loss, Loss):
        bound = {k: v for k, v in loss.hyperparameters.items() if k != "reduction"}
        loss = loss.name
    if not isinstance(loss, str):
        loss = _registered_name(loss)
    kwargs = {**bound, **hyperparameters}
    Loss(loss, **kwargs)  # unknown or invalid hyperparameters: TypeError/ValueError now
    return spec(loss), kwargs


def _registered_name(fn: Any) -> str:
    name = getattr(fn, "__name__", None)
    entry = _REGISTRY.get(name) if isinstance(name, str) else None
    if entry is None or (fn is not entry.fn and getattr(fn, "__wrapped__", None) is not entry.fn):
        raise TypeError(
            f"loss must be a loss name, an anyloss loss function or anyloss.get(...); got {fn!r}"
        )
    return entry.name


def _touches_batch(axes: Any, ndim: int) -> bool:
    """True when ``axes`` (``None``: every axis) includes axis 0 of an ``ndim`` array."""
    if axes is None:
        return True
    for a in (axes,) if isinstance(axes, int) else tuple(axes):
        if -ndim <= a < ndim and a % ndim == 0:
            return True
    return False


def _why_not_shardable(s: LossSpec, arrays: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """Why the loss's shards do not add up (a sentence), or ``None`` when they do."""
    if not arrays or not hasattr(arrays[0], "ndim"):
        raise TypeError(f"{s.name}: pass the loss's input arrays after the loss")
    ndim = arrays[0].ndim
    if ndim == 0:
        return f"{s.name}: a 0-d input has no batch axis"
    full = {**s.hyperparameters, **kwargs}
    coupled = s.coupled(full, ndim) if callable(s.coupled) else s.coupled
    if coupled:
        return (
            f"{s.name} couples the samples of a batch here (the loss at one index of "
            "axis 0 depends on other indices)"
        )
    for key in _AXIS_KEYS:
        if key in full and _touches_batch(full[key], ndim):
            return (
                f"{s.name} with {key}={full[key]!r} reduces over axis 0, the batch axis, "
                "so it pools the samples of a batch"
            )
    return None


def shardable(loss: Any, *arrays: Any, **hyperparameters: Any) -> bool:
    """Whether the "mean" of ``loss`` on these inputs can be assembled from shards of axis 0.

    True when each sample's loss depends on that sample's rows only (axis 0 is the batch
    axis): then :func:`mean_parts` of any split of the batch along axis 0, summed over the
    shards, give the numerator and denominator of the whole batch's "mean". False for
    losses that couple the batch (``ntxent``, ``lovasz_softmax``, ``lovasz_hinge`` without
    ``per_image``) and where an ``axis``/``class_axis`` hyperparameter is ``None`` (every
    axis pooled, say ``dice(axis=None)``) or includes axis 0.

    Parameters
    ----------
    loss
        A loss name (``"cross_entropy"``), a loss function (``anyloss.cross_entropy``) or a
        configured loss (``anyloss.get("dice", axis=(1, 2))``).
    *arrays
        The loss's input arrays (only the first one's number of dimensions is read).
    **hyperparameters
        The loss's hyperparameters, without ``reduction``.

    Examples
    --------
    >>> import anyloss, numpy as np
    >>> masks = np.zeros((4, 8, 8))
    >>> anyloss.shardable("dice", masks, masks, axis=(1, 2))
    True
    >>> anyloss.shardable("dice", masks, masks)  # axis=None pools the batch
    False
    """
    s, kwargs = _configured(loss, hyperparameters)
    return _why_not_shardable(s, arrays, kwargs) is None


def mean_parts(loss: Any, *arrays: Any, **hyperparameters: Any) -> tuple[Any, Any]:
    r"""The numerator and denominator of the "mean" of ``loss``, in one pass.

    For a batch split into shards :math:`k` along axis 0, with :math:`S_k, D_k` the parts
    of shard :math:`k`, the "mean" of the whole batch is

    .. math:: \bar\ell = \frac{\sum_k S_k}{\sum_k D_k}
              \quad (0 \text{ where } \sum_k D_k = 0)

    :math:`S` is exactly ``loss(*arrays, reduction="sum", ...)`` (for ``ctc``, whose
    "mean" divides each sequence's loss by its target length first, the sum of those
    quotients). :math:`D` is what ``reduction="mean"`` divides it by: the number of
    values ``reduction="none"`` returns, or the loss's own normaliser where it has one
    (the sum of the kept targets' class weights of ``cross_entropy``, ``nll`` and
    ``softmax_focal`` with ``weight`` or ``ignore_index``). In a data-parallel step,
    all-reduce (sum) both, then divide: every worker then holds the global mean (``psum``
    in JAX, ``all_reduce`` in ``torch.distributed``).

    Parameters
    ----------
    loss
        A loss name, a loss function or a configured loss (as in :func:`shardable`).
    *arrays
        The loss's input arrays (one shard of the batch).
    **hyperparameters
        The loss's hyperparameters, without ``reduction``.

    Returns
    -------
    numerator, denominator
        Arrays in the inputs' namespace and on their device: the sum in the loss's dtype,
        the denominator in that dtype, float32 for half-precision inputs (bfloat16
        counts exactly only up to 256).

    Raises
    ------
    ValueError
        If the loss is not :func:`shardable` for these inputs and hyperparameters (the
        message says why): its shards' parts do not add up to the batch's mean.

    Examples
    --------
    >>> import anyloss, numpy as np
    >>> logits = np.random.default_rng(0).standard_normal((6, 3))
    >>> labels = np.array([0, 2, -100, 1, -100, 2])
    >>> parts = [anyloss.mean_parts("cross_entropy", logits[s], labels[s], ignore_index=-100)
    ...          for s in (slice(0, 2), slice(2, 6))]
    >>> total = sum(p[0] for p in parts) / sum(p[1] for p in parts)
    >>> bool(np.isclose(total, anyloss.cross_entropy(logits, labels, ignore_index=-100)))
    True
    >>> [float(p[1]) for p in parts]  # labels kept per shard
    [2.0, 2.0]
    """
    s, kwargs = _configured(loss, hyperparameters)
    why = _why_not_shardable(s, arrays, kwargs)
    if why is not None:
        raise ValueError(
            f"{why}: the sums of its shards do not add up to its mean; compute it on the "
            "whole batch (gather the batch first), or see anyloss.shardable"
        )
    parts = MeanParts()
    total = s.fn(*arrays, reduction=parts, **kwargs)
    if parts.denominator is None:  # a loss that never reached reduce(): a registry bug
        raise RuntimeError(f"{s.name} did not report the denominator of its mean")
    return total, parts.denominator


def mean_denominator(loss: Any, *arrays: Any, **hyperparameters: Any) -> Any:
    """The denominator of the "mean" of ``loss`` on these inputs (see :func:`mean_parts`).

    ``loss(..., reduction="sum") / mean_denominator(loss, ...)`` is ``loss(...)``'s
    "mean"; over shards, sum both before dividing. Computes the loss too (under
    ``jax.jit`` the unused sum is dropped); :func:`mean_parts` gives both in one pass.

    Examples
    --------
    >>> import anyloss, numpy as np
    >>> logits, labels = np.zeros((4, 3)), np.array([0, 1, 1, 2])
    >>> float(anyloss.mean_denominator("nll", logits, labels, weight=np.array([1., 2., 0.])))
    5.0
    """
    return mean_parts(loss, *arrays, **hyperparameters)[1]
