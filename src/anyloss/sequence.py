"""Sequence losses: Connectionist Temporal Classification (see CATALOG.md, "Catalog v2").

``ctc`` scores unsegmented label sequences against per-frame class scores. Inputs are
batch first: ``logits`` ``(N, T, C)`` with the classes last, ``targets`` ``(N, S)``
integer labels padded to ``S``, and one ``input_lengths`` and ``target_lengths`` entry
per sequence. The forward recursion runs in log space over the blank-interleaved label
sequence, vectorised over the batch, with a Python loop over the static number of frames
``T``: it traces under ``jax.jit`` and ``torch.compile`` and stays lazy on dask.

On eager arrays the labels and lengths are checked (``ValueError`` naming the argument);
where they are not (traced, lazy, an accelerator with checks off) a sequence with a bad
label or length gives NaN, never a finite wrong number.
"""

from __future__ import annotations

import itertools
import math
from operator import getitem
from typing import Any

from ._compat import device_of, host_array, host_list, namespace_of, take_along_axis
from ._namespace import resolve
from ._primitives import log_softmax, masked_logsumexp, nan_where
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import boolean, fmt_shape, integer, is_eager

__all__ = ["ctc"]


def _blank_rule(name: str, value: Any) -> None:
    """Rule: a class index, an integer >= 0 (checked against C when the loss is called)."""
    integer(name, value)
    if value < 0:
        raise ValueError(f"{name} must be a class index >= 0; got {value!r}")


# --- inputs -------------------------------------------------------------------------------


def _check_shapes(
    logits: Any, targets: Any, input_lengths: Any, target_lengths: Any, xp: Any
) -> None:
    """``ValueError`` naming the array whose shape or dtype does not fit ``(N, T, C)`` logits."""
    if logits.ndim != 3:
        raise ValueError(
            "logits must be (N, T, C): batch, frames, classes; got logits "
            f"{fmt_shape(logits.shape)}"
        )
    n = logits.shape[0]
    if targets.ndim != 2 or targets.shape[0] != n:
        raise ValueError(
            f"targets must be (N, S) padded label sequences, N as in logits "
            f"{fmt_shape(logits.shape)}; got targets {fmt_shape(targets.shape)}"
        )
    for name, lengths in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
        if tuple(lengths.shape) != (n,):
            raise ValueError(
                f"{name} must hold one length per sequence, shape ({n},) for logits "
                f"{fmt_shape(logits.shape)}; got {name} {fmt_shape(lengths.shape)}"
            )
    named = (("targets", targets), ("input_lengths", input_lengths))
    for name, x in (*named, ("target_lengths", target_lengths)):
        if not xp.isdtype(x.dtype, "integral"):
            raise ValueError(f"{name} must be an integer array; got dtype {x.dtype}")


def _bad_parts(
    labels: Any, input_lengths: Any, target_lengths: Any, blank: int, shape: Any, xp: Any
) -> tuple[Any, Any, Any]:
    """Masks of what ``ctc`` cannot score: labels within the target length that are not a
    class in ``[0, C)`` other than ``blank`` ``(N, S)``; target and input lengths out of
    ``[0, S]`` and ``[0, T]`` ``(N,)``."""
    _, frames, classes = shape
    size = labels.shape[1]
    within = xp.arange(size, device=device_of(labels))[None, :] < target_lengths[:, None]
    not_class = xp.logical_or(xp.logical_or(labels < 0, labels >= classes), labels == blank)
    bad_target = xp.logical_or(target_lengths < 0, target_lengths > size)
    bad_input = xp.logical_or(input_lengths < 0, input_lengths > frames)
    return xp.logical_and(within, not_class), bad_target, bad_input


def _raise_bad(
    labels: Any, input_lengths: Any, target_lengths: Any, blank: int, shape: Any, xp: Any
) -> None:
    """On eager arrays: ``ValueError`` naming the first argument with a bad value."""
    bad_label, bad_target, bad_input = _bad_parts(
        labels, input_lengths, target_lengths, blank, shape, xp
    )
    if bool(xp.any(bad_target)):
        raise ValueError(
            f"target_lengths must lie in [0, {labels.shape[1]}] (S, the padded length of "
            f"targets); got values from {_range(target_lengths, xp)}"
        )
    if bool(xp.any(bad_input)):
        raise ValueError(
            f"input_lengths must lie in [0, {shape[1]}] (T, the frames of logits); got "
            f"values from {_range(input_lengths, xp)}"
        )
    if bool(xp.any(bad_label)):
        raise ValueError(
            f"targets must hold class indices in [0, {shape[2] - 1}] other than blank={blank} "
            f"within each target length; got values from {_range(labels, xp)}"
        )


def _range(x: Any, xp: Any) -> str:
    return f"{int(xp.min(x))} to {int(xp.max(x))}"


FEW_LABELS = 256
"""Up to this many padded labels a Python loop checks them faster than array operations."""


def _check_values(
    targets: Any, input_lengths: Any, target_lengths: Any, blank: int, shape: Any
) -> None:
    """``ValueError`` naming the first argument with a value ``ctc`` cannot score."""
    if not ctc_values_fit(targets, input_lengths, target_lengths, blank, shape):
        labels = host_array(targets)
        frames, lengths = host_array(input_lengths), host_array(target_lengths)
        _raise_bad(labels, frames, lengths, blank, shape, namespace_of(labels))


def ctc_values_fit(
    targets: Any, input_lengths: Any, target_lengths: Any, blank: int, shape: Any
) -> bool:
    """Whether every label and length of these concrete arrays (shapes checked, a
    non-empty batch of logits ``shape``) is one ``ctc`` can score. Shared with the torch
    kernel (``_delegation``), which declines where not, so the portable body names the
    problem.

    The labels and lengths are read once into host memory. A few are checked as Python
    lists (``_few_fit``: a few microseconds, where the array operations of ``_bad_parts``
    cost tens); many as NumPy arrays (``host_array``: no copy on the CPU).
    """
    size = targets.shape[1]
    if size * shape[0] <= FEW_LABELS:
        return _few_fit(
            host_list(targets), host_list(input_lengths), host_list(target_lengths), blank, shape
        )
    labels = host_array(targets)
    frames, lengths = host_array(input_lengths), host_array(target_lengths)
    parts = _bad_parts(labels, frames, lengths, blank, shape, namespace_of(labels))
    return not any(part.any() for part in parts)


def _few_fit(
    labels: list[list[int]],
    input_lengths: list[int],
    target_lengths: list[int],
    blank: int,
    shape: Any,
) -> bool:
    """Whether no part of ``_bad_parts`` holds, for Python lists of a non-empty batch of
    logits ``shape``."""
    _, frames, classes = shape
    size = len(labels[0])
    for length, steps in zip(target_lengths, input_lengths, strict=True):
        if not (0 <= length <= size and 0 <= steps <= frames):
            return False
    return few_labels_fit(labels, target_lengths, blank, classes)


def few_labels_fit(
    labels: list[list[int]], target_lengths: list[int], blank: int, classes: int
) -> bool:
    """Whether, in Python lists, every label within its target length is a class in
    ``[0, C)`` other than ``blank`` (the lengths are checked elsewhere: a bad one only
    changes which labels are looked at; ``labels`` has one row per length). Shared with
    the torch kernel (``_delegation``), whose CPU kernel checks the lengths itself.

    The labels kept (each row cut at its length) are looked up in the set of allowed
    labels, in C (``_allowed_labels``): about a third less than comparing each in a Python
    loop, which remains for more than ``_FEW_CLASSES`` classes."""
    kept = _flatten(map(getitem, labels, map(slice, target_lengths)))
    allowed = _ALLOWED_LABELS.get((classes, blank))
    if allowed is None:
        if classes > _FEW_CLASSES:
            return all(0 <= v < classes and v != blank for v in kept)
        allowed = _allowed_labels(classes, blank)
    return allowed.issuperset(kept)


_FEW_CLASSES = 4096
_ALLOWED_LABELS: dict[tuple[int, int], frozenset[int]] = {}
_flatten = itertools.chain.from_iterable


def _allowed_labels(classes: int, blank: int) -> frozenset[int]:
    """``[0, C)`` without ``blank``, kept for the last few (C, blank) pairs seen."""
    if len(_ALLOWED_LABELS) >= 16:
        _ALLOWED_LABELS.clear()
    allowed = _ALLOWED_LABELS[(classes, blank)] = frozenset(range(classes)) - {blank}
    return allowed


def ctc_inputs(
    logits: Any, targets: Any, input_lengths: Any, target_lengths: Any, blank: int, xp: Any
) -> tuple[Any, Any, Any]:
    """Check ``ctc``'s arrays (of namespace ``xp``); return the input and target lengths
    to score, and the mask of bad sequences (None where values were checked).

    Where values are not checked, a sequence with a bad label or length gets lengths 0
    here and NaN from the loss (``nan_where``); its labels are then never read. Shared
    with the torch kernel (``_delegation``).
    """
    _check_shapes(logits, targets, input_lengths, target_lengths, xp)
    shape = tuple(map(int, logits.shape))
    if blank >= shape[2]:
        raise ValueError(
            f"blank={blank} is not a class of logits {fmt_shape(shape)} (C={shape[2]})"
        )
    if is_eager(targets):  # one library and device (resolve): one answers for all three
        if shape[0]:
            _check_values(targets, input_lengths, target_lengths, blank, shape)
        return input_lengths, target_lengths, None
    bad_label, bad_target, bad_input = _bad_parts(
        targets, input_lengths, target_lengths, blank, shape, xp
    )
    bad = xp.logical_or(xp.any(bad_label, axis=1), xp.logical_or(bad_target, bad_input))
    input_lengths = xp.where(bad, xp.zeros_like(input_lengths), input_lengths)
    target_lengths = xp.where(bad, xp.zeros_like(target_lengths), target_lengths)
    return input_lengths, target_lengths, bad


def _safe_labels(targets: Any, classes: int, blank: int, xp: Any) -> Any:
    """``targets`` with every value outside ``[0, C)`` (padding such as -1 included) made
    ``blank``, so that every gather of the recursion stays in range."""
    out_of_range = xp.logical_or(targets < 0, targets >= classes)
    return xp.where(out_of_range, xp.full_like(targets, blank), targets)


# --- the recursion ------------------------------------------------------------------------


def _extended(labels: Any, blank: int, xp: Any) -> tuple[Any, Any]:
    """The blank-interleaved labels ``(N, 2S+1)`` and where a state may skip two back.

    ``l' = (blank, l_1, blank, l_2, ..., l_S, blank)``; state ``2k+1`` (label ``l_{k+1}``)
    may be entered from state ``2k-1`` when ``l_{k+1} != l_k`` (a repeat needs a blank
    between, and a blank never skips).
    """
    n, size = labels.shape
    blanks = xp.full_like(labels, blank)
    pairs = xp.reshape(xp.stack([blanks, labels], axis=2), (n, 2 * size))
    last = xp.full((n, 1), blank, dtype=labels.dtype, device=device_of(labels))
    extended = xp.concat([pairs, last], axis=1)
    no = xp.zeros((n, 1), dtype=xp.bool, device=device_of(labels))
    differs = xp.concat([no, labels[:, 1:] != labels[:, :-1]], axis=1)[:, :size]
    skip = xp.reshape(xp.stack([xp.zeros_like(differs), differs], axis=2), (n, 2 * size))
    return extended, xp.concat([skip, no], axis=1)


def _log_likelihood(
    log_p: Any, extended: Any, skip: Any, input_lengths: Any, target_lengths: Any, xp: Any
) -> Any:
    """``log p(l | x)`` per sequence: the forward recursion over the states of ``l'``.

    ``alpha`` starts at a virtual state before frame 0 (log 1 in state 0), so frame 0 is
    an ordinary step and an input of length 0 gives log 1 for an empty target and -inf
    otherwise. Frames ``t >= input_length`` leave ``alpha`` unchanged. The three incoming
    transitions (stay, one state on, two on where ``skip``) are summed by a log-sum-exp
    that is -inf, with a zero gradient, where all three are -inf (no NaN from
    ``-inf - (-inf)``). Frames are indexed on the leading axis (one compiled slice for
    every ``t`` in eager jax).
    """
    n, frames, _ = log_p.shape
    states = extended.shape[1]
    device = device_of(log_p)
    index = xp.broadcast_to(extended[:, None, :], (n, frames, states))
    emit = xp.permute_dims(take_along_axis(log_p, index, xp, axis=2), (1, 0, 2))  # (T, N, S')
    active = (input_lengths[None, :] > xp.arange(frames, device=device)[:, None])[..., None]
    none = xp.full((n, states + 2), -math.inf, dtype=log_p.dtype, device=device)
    no_skip = xp.where(skip, xp.zeros_like(none[:, 2:]), none[:, 2:])
    state = xp.arange(states, device=device)
    alpha = xp.where(state == 0, xp.zeros_like(none[:, 2:]), none[:, 2:])
    for t in range(frames):
        padded = xp.concat([none[:, :2], alpha], axis=1)
        incoming = xp.stack([alpha, padded[:, 1:-1], padded[:, :-2] + no_skip], axis=2)
        step = masked_logsumexp(incoming, xp, axis=2)[..., 0] + emit[t, ...]
        alpha = xp.where(active[t, ...], step, alpha)
    last = 2 * target_lengths[:, None]
    end = xp.logical_or(state == last, state == last - 1)
    return masked_logsumexp(xp.where(end, alpha, none[:, 2:]), xp, axis=1)[:, 0]


def reduce_sequences(per_sequence: Any, target_lengths: Any, reduction: Any, xp: Any) -> Any:
    """ "none"/"sum" as given; "mean" (and ``mean_parts``) divides each sequence's loss by
    its target length clamped to >= 1 first, then averages over the batch (torch)."""
    if reduction in ("none", "sum"):
        return reduce(per_sequence, reduction, xp)
    one = xp.ones_like(target_lengths)
    lengths = xp.where(target_lengths < 1, one, target_lengths)
    return reduce(per_sequence / xp.astype(lengths, per_sequence.dtype), reduction, xp)


# --- the loss -----------------------------------------------------------------------------


@loss(labels=(1,), rules={"blank": _blank_rule, "zero_infinity": boolean})
def ctc(
    logits: Array,
    targets: Array,
    input_lengths: Array,
    target_lengths: Array,
    *,
    blank: int = 0,
    zero_infinity: bool = False,
    reduction: Reduction = "mean",
) -> Array:
    r"""Connectionist Temporal Classification: -log of the probability of the target
    sequence summed over every alignment of it to the frames.

    With :math:`y_t = \operatorname{softmax}(x_t)` over the classes and the target
    :math:`l` of length :math:`U` extended with blanks to :math:`l' = (b, l_1, b, \dots,
    l_U, b)`, the forward variables are

    .. math:: \alpha_t(s) = y_t(l'_s) \Big(\alpha_{t-1}(s) + \alpha_{t-1}(s-1)
              + [l'_s \ne b \wedge l'_s \ne l'_{s-2}]\, \alpha_{t-1}(s-2)\Big)

    and :math:`\ell = -\log\big(\alpha_{T'-1}(2U) + \alpha_{T'-1}(2U-1)\big)` for an
    input of :math:`T'` frames, computed in log space. An impossible alignment (too few
    frames, or only zero-probability paths) gives ``+inf`` with a zero gradient, or 0
    with ``zero_infinity=True``. "none" gives one value per sequence; "mean" divides
    each by its target length (at least 1) and averages over the batch, as torch.

    Matches ``torch.nn.functional.ctc_loss`` on ``log_softmax(logits)`` transposed to
    ``(T, N, C)`` (torch's gradient at an infinite loss is NaN; here it is 0) and
    ``optax.ctc_loss`` per sequence (which writes ``-inf`` as -1e5, so an impossible
    alignment gives about 1e5 there, not ``inf``). On torch tensors whose lengths are
    on the GPU, torch's own CTC kernel serves the call, and it copies the lengths to the
    host first (a synchronisation, as for every caller of ``F.ctc_loss``); inside
    ``anyloss.portable()`` the portable form runs instead, with none.

    Parameters
    ----------
    logits
        ``(N, T, C)`` per-frame class scores, batch first, classes last;
        log-softmax is applied along C, so log-probabilities pass through unchanged.
    targets
        ``(N, S)`` integer labels in ``[0, C)``, not ``blank``, padded to ``S``
        (the values past each target length are ignored).
    input_lengths
        ``(N,)`` integers in ``[0, T]``: the frames of each sequence.
    target_lengths
        ``(N,)`` integers in ``[0, S]``: the labels of each sequence.
    blank
        The blank class, an integer in ``[0, C)``.
    zero_infinity
        Give impossible alignments a loss of 0 and a zero gradient.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per sequence).

    References
    ----------
    Graves, Fernández, Gomez & Schmidhuber, "Connectionist Temporal Classification:
    Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006.
    """
    ns = resolve(logits, targets, input_lengths, target_lengths)
    xp = ns.xp
    in_lengths, out_lengths, bad = ctc_inputs(
        logits, targets, input_lengths, target_lengths, blank, xp
    )
    labels = _safe_labels(targets, logits.shape[2], blank, xp)
    extended, skip = _extended(labels, blank, xp)
    log_p = log_softmax(ns.float(logits), xp, axis=2)
    per_sequence = -_log_likelihood(log_p, extended, skip, in_lengths, out_lengths, xp)
    if zero_infinity:
        infinite = xp.isinf(per_sequence)
        per_sequence = xp.where(infinite, xp.zeros_like(per_sequence), per_sequence)
    per_sequence = nan_where(bad, per_sequence, xp)
    return reduce_sequences(per_sequence, out_lengths, reduction, xp)
