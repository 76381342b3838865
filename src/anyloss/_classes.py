"""The class axis, shared by every loss that takes classes.

A class-index target holds integers shaped like the scores without the class ``axis``;
its labels are read in the backend's indexing dtype (``_compat.index_dtype``), checked to
lie in ``[0, C)`` where values are checked (``_validation.is_eager``) and turned into NaN
losses where they are not. Class weights are one value per class. Picks along the class
axis use ``take_along_axis``: no ``(N, C)`` one-hot is built.

Every mistake raises ``ValueError`` naming the argument: a float target where class
indices are due, a target of the wrong shape, a label out of range, a weight of the
wrong length (the class ``axis`` itself is checked by the ``_validation.integer`` rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._compat import index_dtype, take_along_axis
from ._namespace import Namespace, resolve
from ._primitives import nan_where
from ._reduction import reduce
from ._validation import (
    check_axis,
    check_values,
    fmt_shape,
    in_interval,
    is_eager,
    swapped_hint,
)


def _index_shape(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    """The shape of class indices for scores of ``shape``: without the class ``axis``."""
    return shape[:axis] + shape[axis + 1 :]


def _is_index_target(logits: Any, target: Any, axis: int, xp: Any) -> bool:
    """True for integer class indices, False for probabilities; ValueError on bad shapes."""
    shape, t_shape = tuple(logits.shape), tuple(target.shape)
    index_shape = _index_shape(shape, axis)
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


def _check_index_target(scores: Any, target: Any, axis: int, xp: Any, name: str = "pred") -> None:
    """``ValueError`` unless ``target`` holds integer class indices, ``scores``' shape
    without ``axis`` (for losses that take class indices only)."""
    if not xp.isdtype(target.dtype, "integral"):
        raise ValueError(
            f"target must hold integer class indices; got dtype {target.dtype}"
            f"{swapped_hint(scores, target)}"
        )
    want = _index_shape(tuple(scores.shape), axis)
    if tuple(target.shape) != want:
        raise ValueError(
            f"target must have {name}'s shape without the class axis {axis}: {name} "
            f"{fmt_shape(scores.shape)} needs target {fmt_shape(want)}; got target "
            f"{fmt_shape(target.shape)}{swapped_hint(scores, target)}"
        )


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
    if is_eager(labels):
        _check_labels(labels, keep, ignore_index, num_classes, xp)
        if keep is None:
            return labels, None, None
        return xp.where(keep, labels, xp.zeros_like(labels)), keep, None
    bad = xp.logical_or(labels < 0, labels >= num_classes)
    drop = bad
    if keep is not None:
        bad = xp.logical_and(bad, keep)
        drop = xp.logical_or(xp.logical_not(keep), bad)
    return xp.where(drop, xp.zeros_like(labels), labels), keep, bad


def _check_labels(
    labels: Any, keep: Any, ignore_index: int | None, num_classes: int, xp: Any
) -> None:
    """On eager arrays, ``ValueError`` unless every kept label lies in ``[0, num_classes)``."""

    def out_of_range(x: Any) -> Any:
        bad = xp.logical_or(x < 0, x >= num_classes)
        return bad if keep is None else xp.logical_and(bad, keep)

    def problem() -> str:
        return (
            f"class labels must lie in [0, {num_classes - 1}]"
            + ("" if ignore_index is None else f" or equal ignore_index={ignore_index}")
            + f"; got values from {int(xp.min(labels))} to {int(xp.max(labels))}"
        )

    check_values(labels, xp, out_of_range, problem)


def _class_weight(weight: Any, num_classes: int, axis: int, ns: Namespace) -> Any:
    """``weight`` as a float array of length C, or ValueError naming both lengths."""
    if weight is None:
        return None
    if isinstance(weight, Sequence):
        weight = ns.constant(list(weight))
    if tuple(weight.shape) != (num_classes,):
        raise ValueError(
            f"weight must hold one value per class: length {num_classes} (the size of "
            f"the scores along axis {axis}); got weight of shape {fmt_shape(weight.shape)}"
        )
    return ns.float(weight)


def _along(vector: Any, axis: int, ndim: int, xp: Any) -> Any:
    """A length-C vector reshaped to broadcast along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = vector.shape[0]
    return xp.reshape(vector, tuple(shape))


def _gather(x: Any, labels: Any, axis: int, xp: Any, bad: Any = None) -> Any:
    """``x[..., labels, ...]`` along ``axis``: the class-index picks, ``axis`` removed.

    ``bad`` (the unchecked out-of-range labels of ``_labels``, or None) makes a pick NaN
    right at the gather, so every value computed from it is NaN; under XLA the loss's
    per-sample values then come out of one fused pass with its sum (a NaN applied to the
    finished per-sample loss splits that fusion).
    """
    picked = take_along_axis(x, xp.expand_dims(labels, axis=axis), xp, axis=axis)
    return nan_where(bad, xp.squeeze(picked, axis=axis), xp)


def _take_weight(weight: Any, labels: Any, xp: Any) -> Any:
    """The class weight of every label (same shape as ``labels``)."""
    flat = xp.take(weight, xp.reshape(labels, (-1,)), axis=0)
    return xp.reshape(flat, tuple(labels.shape))


# --- softmax over the class axis: shared by every family that takes classes ----------

_SMOOTHING = in_interval(0.0, 1.0)
"""The rule of ``label_smoothing``: the share of the target mass spread over the classes."""


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


def _index_cross_entropy(
    x: Any, log_s: Any, m: Any, labels: Any, axis: int, xp: Any, bad: Any = None
) -> Any:
    """``-log p_y = log_s - (x_y - max)`` per sample, ``x_y`` gathered from the logits.

    ``x_y - max`` is the same rounding as ``z`` at ``y``, but taken after the gather, so
    XLA need not keep the ``(N, C)`` shifted logits for it; a ``bad`` label gives NaN
    (``_gather``).
    """
    shift = xp.squeeze(m, axis=axis)
    return xp.squeeze(log_s, axis=axis) - (_gather(x, labels, axis, xp, bad) - shift)


def _soft_cross_entropy(z: Any, log_s: Any, t: Any, w: Any, axis: int, xp: Any) -> Any:
    """``-Σ_c w_c t_c log p_c`` per sample, as ``log_s Σ w t + Σ w t (-z)``.

    Both sums are non-negative (``log_s >= 0``, ``z <= 0``), so nothing cancels, and no
    ``(N, C)`` log-probabilities are formed (XLA fuses each sum into one pass). A class
    with ``w t = 0`` adds exactly 0, also where its logit is -inf (masked vocabulary).
    """
    wt = t if w is None else t * _along(w, axis, z.ndim, xp)
    mass = xp.sum(wt, axis=axis)
    return xp.squeeze(log_s, axis=axis) * mass - xp.sum(_times_log(wt, z, xp), axis=axis)


def _setup(
    logits: Any, target: Any, weight: Any, axis: int, ignore_index: int | None
) -> tuple[Namespace, int, int, bool, Any]:
    """Resolve the namespace; return it, the axis, C, whether labels are indices, weight."""
    ns = resolve(logits, target, None if weight is None or isinstance(weight, Sequence) else weight)
    ax = check_axis(axis, logits.ndim)
    num_classes = int(logits.shape[ax])
    index = _is_index_target(logits, target, ax, ns.xp)
    if not index and ignore_index is not None:
        raise ValueError(
            "ignore_index applies to class-index targets only; got a "
            "probability target (mask it with weight or zero rows instead)"
        )
    return ns, ax, num_classes, index, _class_weight(weight, num_classes, ax, ns)
