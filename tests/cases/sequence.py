"""Sequence family (``ctc``): a float64 NumPy forward recursion written out per sequence,
natives from ``torch.nn.functional.ctc_loss`` and ``optax.ctc_loss``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tests.cases import Case, Native, torch_tensor
from tests.cases.classification import _log_softmax

# --- independent float64 reference ---------------------------------------------------------


def _logsumexp(terms: list[float]) -> float:
    m = max(terms)
    if m == -math.inf:
        return -math.inf
    return m + math.log(sum(math.exp(v - m) for v in terms))


def _ctc_one(log_p: Any, labels: Any, blank: int) -> float:
    """-log p(labels | frames) of one sequence: ``log_p`` (T', C), ``labels`` (U,).

    The textbook recursion (Graves et al. 2006, eqs. 6-7): alpha over the blank-extended
    labels, started at frame 0 in the first blank or the first label.
    """
    ext = [blank]
    for label in labels:
        ext += [int(label), blank]
    if log_p.shape[0] == 0:
        return 0.0 if len(labels) == 0 else math.inf
    alpha = [-math.inf] * len(ext)
    alpha[0] = log_p[0, ext[0]]
    if len(ext) > 1:
        alpha[1] = log_p[0, ext[1]]
    for t in range(1, log_p.shape[0]):
        prev = list(alpha)
        for s, label in enumerate(ext):
            terms = [prev[s]]
            if s >= 1:
                terms.append(prev[s - 1])
            if s >= 2 and label != blank and label != ext[s - 2]:
                terms.append(prev[s - 2])
            alpha[s] = _logsumexp(terms) + log_p[t, label]
    return -_logsumexp(alpha[-2:])


def ref_ctc(
    logits: Any,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    reduction: str = "mean",
    blank: int = 0,
    zero_infinity: bool = False,
) -> Any:
    log_p = _log_softmax(logits)
    losses = np.array(
        [
            _ctc_one(log_p[i, : input_lengths[i]], targets[i, : target_lengths[i]], blank)
            for i in range(logits.shape[0])
        ],
        dtype=np.float64,
    )
    if zero_infinity:
        losses = np.where(np.isinf(losses), 0.0, losses)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return np.asarray(losses.sum())
    if losses.size == 0:
        return np.asarray(0.0)
    return np.asarray(np.mean(losses / np.maximum(target_lengths, 1)))


# --- native references -----------------------------------------------------------------------


def _torch_ctc() -> Native:
    def fn(
        logits: Any,
        targets: Any,
        input_lengths: Any,
        target_lengths: Any,
        reduction: str = "mean",
        blank: int = 0,
        zero_infinity: bool = False,
    ) -> Any:
        import torch.nn.functional as F

        log_probs = F.log_softmax(torch_tensor(logits), dim=-1).transpose(0, 1)
        return F.ctc_loss(
            log_probs,
            torch_tensor(targets),
            torch_tensor(input_lengths),
            torch_tensor(target_lengths),
            blank=blank,
            reduction=reduction,
            zero_infinity=zero_infinity,
        )

    return Native("torch.nn.functional.ctc_loss", fn, ("torch",))


def _optax_ctc() -> Native:
    """``optax.ctc_loss`` per sequence, its paddings built from the lengths."""

    def fn(
        logits: Any,
        targets: Any,
        input_lengths: Any,
        target_lengths: Any,
        reduction: str = "none",
        blank: int = 0,
    ) -> Any:
        import jax

        jax.config.update("jax_enable_x64", True)
        import optax

        frames = np.arange(logits.shape[1])[None, :] >= input_lengths[:, None]
        padded = np.arange(targets.shape[1])[None, :] >= target_lengths[:, None]
        labels = np.where(padded, 0, targets)
        return optax.ctc_loss(logits, frames * 1.0, labels, padded * 1.0, blank_id=blank)

    return Native("optax.ctc_loss", fn, ("optax", "jax"), reductions=("none",))


TORCH_CTC, OPTAX_CTC = _torch_ctc(), _optax_ctc()

# --- inputs -----------------------------------------------------------------------------------


def _sequences(targets: Any, input_lengths: Any, target_lengths: Any, frames: int = 6) -> Any:
    """Random (N, frames, 5) logits with the given label arrays."""

    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        n = len(targets)
        return (
            rng.standard_normal((n, frames, 5)),
            np.array(targets, dtype=np.int64),
            np.array(input_lengths, dtype=np.int64),
            np.array(target_lengths, dtype=np.int64),
        )

    return make


# repeated labels need a blank between them: [3, 3, 3] takes at least 5 frames (given
# exactly 5); the blank is the last class; an empty target; padding past a target length
# is -1 or any other value, never read
_REPEATS = _sequences([[1, 1, 2], [3, 3, 3], [2, 2, -1], [0, 0, 0]], [6, 5, 6, 4], [3, 3, 2, 0])
# too few frames: [1, 1, 2] needs 4 and gets 3; [2] gets none; an empty target in no
# frames has probability 1 (loss 0); the last sequence is possible
_IMPOSSIBLE = _sequences([[1, 1, 2], [2, 0, 0], [4, 0, 0], [3, 1, 4]], [3, 0, 0, 6], [3, 1, 0, 3])

CASES: list[Case] = [
    Case("ctc", ref_ctc, native=(TORCH_CTC, OPTAX_CTC)),
    Case(
        "ctc",
        ref_ctc,
        _REPEATS,
        {"blank": 4},
        id="repeats-blank-last",
        native=(TORCH_CTC, OPTAX_CTC),
    ),
    # +inf where no alignment exists (optax writes -inf as -1e5: not a reference here);
    # the loss is infinite, so there is no finite difference to compare gradients with
    Case("ctc", ref_ctc, _IMPOSSIBLE, id="impossible", grad=False, native=(TORCH_CTC,)),
    Case(
        "ctc",
        ref_ctc,
        _IMPOSSIBLE,
        {"zero_infinity": True},
        id="impossible-zero-infinity",
        native=(TORCH_CTC,),
    ),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "ctc": [{"blank": -1}, {"blank": 1.0}, {"blank": True}, {"zero_infinity": 1}],
}
