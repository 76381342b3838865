"""Large-vocabulary losses: cross-entropy fused with the output projection (see CATALOG.md).

A language model's last layer maps hidden states ``(N, H)`` to logits ``(N, V)`` over a
vocabulary of tens of thousands of tokens; those logits (and their gradient) are then the
largest arrays of the step. ``linear_cross_entropy`` never forms them: it walks the
vocabulary in chunks of columns with an online log-sum-exp, and computes its gradient in
a second chunked pass (hand-written, registered through ``_compat.custom_gradient``), so
its memory is O(N·chunk + V·H) instead of O(N·V). Both passes walk the chunks through
``_compat.chunk_loop`` (a ``lax.scan`` on jax, so XLA keeps one chunk alive, not all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ._classes import _SMOOTHING, _labels, _weighted_reduce
from ._compat import chunk_loop, custom_gradient, device_of, take_along_axis
from ._namespace import Namespace, resolve
from ._primitives import max_along, nan_where
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    HyperparameterTypeError,
    at_least,
    fmt_shape,
    greater_than,
    integer,
    is_zero,
    optional,
)

__all__ = ["linear_cross_entropy"]

_CHUNK_ELEMENTS = 2**22
"""``chunk_size=None`` keeps one chunk of logits (N × chunk) within this many elements.

Measured on torch, one CPU thread, N=8192 H=512 V=65536 (docs/benchmarks.md): caps of
2**21 and 2**22 (chunks of 256 and 512 columns) were the fastest, 2**20 and 2**23-2**24
slower (more, smaller matmuls; temporaries past the cache)."""


def _positive_integer(name: str, value: Any) -> None:
    integer(name, value)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")


def _array(name: str, value: Any) -> None:
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        raise HyperparameterTypeError(
            f"{name} must be an array or None; got {type(value).__name__} {value!r}"
        )


@dataclass(frozen=True)
class _Head:
    """What the chunked passes need besides the arrays: the chunk and hyperparameters."""

    chunk: int
    vocab: int
    label_smoothing: float
    z_loss: float
    softcap: float | None
    xp: Any


def _chunk_size(tokens: int, vocab: int, chunk_size: int | None) -> int:
    """Vocabulary columns per chunk; the last chunk may be shorter.

    ``chunk_size=None``: the fewest chunks with ``tokens × chunk <= 2**22`` elements
    (16 MiB of float32), of equal size up to one column.
    """
    if chunk_size is not None:
        return chunk_size
    parts = math.ceil(vocab * max(tokens, 1) / _CHUNK_ELEMENTS)
    return math.ceil(vocab / parts)


def _chunk_logits(h: Any, w: Any, b: Any, head: _Head) -> Any:
    """The logits of one chunk of vocabulary rows ``w`` (bias ``b``), softcapped: (N, chunk)."""
    xp = head.xp
    x = xp.matmul(h, xp.matrix_transpose(w))
    if b is not None:
        x = x + b
    if head.softcap is not None:
        x = head.softcap * xp.tanh(x / head.softcap)
    return x


def _label_logit(x: Any, labels: Any, columns: Any, xp: Any) -> Any:
    """Each token's logit at its label where the label falls in this chunk, else 0: (N,).

    A gather at the label's position in the chunk (``columns[0]`` is the chunk's first
    column), not an ``(N, chunk)`` mask.
    """
    local = labels - columns[0]
    inside = xp.logical_and(local >= 0, local < x.shape[1])
    at = xp.expand_dims(xp.where(inside, local, xp.zeros_like(local)), axis=1)
    got = take_along_axis(x, at, xp, axis=1)[:, 0]
    return xp.where(inside, got, xp.zeros_like(got))


def _columns(labels: Any, head: _Head) -> Any:
    """The vocabulary indices ``0 .. V-1``, walked in chunks beside ``weight``'s rows."""
    return head.xp.arange(head.vocab, dtype=labels.dtype, device=device_of(labels))


def _forward(
    h: Any, w: Any, b: Any, labels: Any, keep: Any, head: _Head
) -> tuple[Any, tuple[Any, ...]]:
    """Per-token loss (0 where not kept) and the log-sum-exp, one chunk at a time.

    The running maximum ``m`` and sum ``s`` of ``exp(x - m)`` are rescaled as each chunk
    raises the maximum; the label's logit and (for smoothing) the row sum are gathered on
    the way. The label's logit is picked from the chunk's logits, not recomputed from its
    row of ``weight``: a different summation order would round differently, and at
    logits of 1e7 the loss of a confident token would come out as -8 instead of 0. The loss is
    ``log s - (1-ε)(x_y - m) - ε(mean x - m) + z·lse²``.
    """
    xp = head.xp
    smoothing = not is_zero(head.label_smoothing)

    def step(carry: tuple[Any, ...], chunk: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[()]]:
        m, s, picked, total = carry
        w_c, b_c, columns = chunk
        x = _chunk_logits(h, w_c, b_c, head)
        new_m = xp.maximum(m, max_along(x, xp, axis=1))
        e = xp.sum(xp.exp(x - xp.expand_dims(new_m, axis=1)), axis=1)
        s = s * xp.exp(m - new_m) + e
        picked = picked + _label_logit(x, labels, columns, xp)
        if smoothing:
            total = total + xp.sum(x, axis=1)
        return (new_m, s, picked, total), ()

    # made from ``h``, not from its shape: under ``shard_map`` the loop's state then has
    # the type of what the chunks make of ``h`` (varying over the manual axes), as a
    # ``lax.scan`` requires
    zero = xp.zeros_like(h[:, 0])
    start = (zero - math.inf, zero, zero, zero)
    (m, s, picked, total), _ = chunk_loop(
        step, start, (w, b, _columns(labels, head)), head.chunk, xp
    )
    log_s = xp.log(s)
    eps = head.label_smoothing
    per_token = log_s - (1 - eps) * (picked - m)
    if smoothing:
        per_token = per_token - eps * (total / head.vocab - m)
    lse = log_s + m
    if not is_zero(head.z_loss):
        per_token = per_token + head.z_loss * lse**2
    if keep is not None:
        per_token = xp.where(keep, per_token, xp.zeros_like(per_token))
    return per_token, (lse,)


def _backward(
    arrays: tuple[Any, ...], saved: tuple[Any, ...], g: Any, head: _Head
) -> tuple[Any, ...]:
    """Gradients w.r.t. hidden, weight and bias, recomputing each chunk's logits.

    Per token, ``dℓ/dx_c = p_c (1 + 2 z·lse) - (1-ε)[c = y] - ε/V`` on the softcapped
    logits, times ``1 - (x_c / cap)²`` through the softcap; scaled by the upstream ``g``.
    Per chunk: ``dh += d @ W_chunk``, and the chunk's rows of ``dW = dᵀ h`` and
    ``db = Σ_n d``.
    """
    h, w, b, labels, keep = arrays
    (lse,) = saved
    xp, eps = head.xp, head.label_smoothing
    scale = g if keep is None else xp.where(keep, g, xp.zeros_like(g))
    soft = scale * (1 + 2 * head.z_loss * lse) if not is_zero(head.z_loss) else scale
    soft, lse, scale = (xp.expand_dims(a, axis=1) for a in (soft, lse, scale))
    label_rows = xp.expand_dims(labels, axis=1)

    def step(carry: tuple[Any, ...], chunk: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:
        (dh,) = carry
        w_c, b_c, columns = chunk
        x = _chunk_logits(h, w_c, b_c, head)
        d = xp.exp(x - lse) * soft
        d = xp.where(label_rows == xp.expand_dims(columns, axis=0), d - (1 - eps) * scale, d)
        if not is_zero(eps):
            d = d - (eps / head.vocab) * scale
        if head.softcap is not None:
            d = d * (1 - (x / head.softcap) ** 2)
        db = None if b_c is None else xp.sum(d, axis=0)
        return (dh + xp.matmul(d, w_c),), (xp.matmul(xp.matrix_transpose(d), h), db)

    (dh,), (dw, db) = chunk_loop(
        step, (xp.zeros_like(h),), (w, b, _columns(labels, head)), head.chunk, xp
    )
    return dh, dw, db, None, None


def _check_shapes(hidden: Any, weight: Any, target: Any, bias: Any, ns: Namespace) -> None:
    """``ValueError`` naming the argument whose shape does not fit (N, H), (V, H), (N,), (V,)."""
    if hidden.ndim != 2:
        raise ValueError(
            f"hidden must be 2-D (tokens, features); got shape {fmt_shape(hidden.shape)} "
            "(flatten the leading axes with reshape(-1, H))"
        )
    if weight.ndim != 2 or weight.shape[1] != hidden.shape[1] or weight.shape[0] == 0:
        raise ValueError(
            f"weight must be (vocabulary, features) with vocabulary >= 1 and the features "
            f"of hidden {fmt_shape(hidden.shape)}; got weight {fmt_shape(weight.shape)}"
        )
    if tuple(target.shape) != (hidden.shape[0],) or not ns.xp.isdtype(target.dtype, "integral"):
        raise ValueError(
            f"target must hold one integer class index per row of hidden: shape "
            f"{fmt_shape(hidden.shape[:1])}; got shape {fmt_shape(target.shape)}, "
            f"dtype {target.dtype}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(
            f"bias must hold one value per vocabulary row of weight {fmt_shape(weight.shape)}:"
            f" shape {fmt_shape(weight.shape[:1])}; got {fmt_shape(bias.shape)}"
        )


@loss(
    labels=(2,),
    rules={
        "bias": optional(_array),
        "ignore_index": optional(integer),
        "label_smoothing": _SMOOTHING,
        "z_loss": at_least(0.0),
        "softcap": optional(greater_than(0.0)),
        "chunk_size": optional(_positive_integer),
    },
)
def linear_cross_entropy(
    hidden: Array,
    weight: Array,
    target: Array,
    *,
    bias: Array | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    z_loss: float = 0.0,
    softcap: float | None = None,
    chunk_size: int | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""Cross-entropy of the logits ``hidden @ weight.T + bias``, never holding them.

    With logits :math:`x = h W^\top + b` (softcapped to :math:`c \tanh(x / c)` when
    ``softcap`` is :math:`c`), :math:`L = \operatorname{logsumexp}(x)` over the
    :math:`V` vocabulary entries, smoothing :math:`\varepsilon` and z-loss weight
    :math:`z`, a token with label :math:`y` gives

    .. math:: \ell = L - (1 - \varepsilon)\, x_y - \frac{\varepsilon}{V} \sum_c x_c
              + z L^2

    which is :func:`cross_entropy` of the logits (its smoothing) plus the z-loss of
    PaLM. Tokens equal to ``ignore_index`` add nothing, and "mean" divides by the number
    of tokens not ignored (0 when all are), as :func:`cross_entropy`.

    The vocabulary is processed in chunks of ``chunk_size`` columns with an online
    log-sum-exp; the gradient (w.r.t. ``hidden``, ``weight`` and ``bias``) is computed
    by hand in a second chunked pass that recomputes each chunk's logits, and handed to
    torch autograd and ``jax.grad`` as a custom gradient. Memory is
    :math:`O(N \cdot \text{chunk} + V H)` instead of the :math:`O(N V)` of the
    logits, as in ``cut_cross_entropy.linear_cross_entropy`` (Wijmans et al.) and Liger
    Kernel's ``LigerFusedLinearCrossEntropyLoss``.

    Parameters
    ----------
    hidden
        Hidden states ``(N, H)``, one row per token.
    weight
        Output projection ``(V, H)`` (the unembedding matrix).
    target
        Integer token indices ``(N,)`` in ``[0, V)`` (or ``ignore_index``). On eager
        arrays an index out of range raises ``ValueError``; where values cannot be read
        (``jax.jit``, dask) that token's loss is NaN.
    bias
        Optional output bias ``(V,)``.
    ignore_index
        A label value that contributes nothing (``None``: none is ignored).
    label_smoothing
        :math:`\varepsilon` in [0, 1]: the target is :math:`(1 - \varepsilon)` on the
        label plus :math:`\varepsilon / V` on every entry.
    z_loss
        :math:`z \ge 0`, weight of :math:`L^2` per token (of the softcapped logits).
    softcap
        :math:`c > 0` caps the logits to :math:`c \tanh(x / c)` first, or ``None``.
    chunk_size
        Vocabulary columns per chunk; ``None`` keeps ``N × chunk`` within
        :math:`2^{22}` elements. The result does not depend on it beyond rounding.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per token).

    References
    ----------
    Wijmans, Huval, Hertzberg, Koltun & Krähenbühl, "Cut Your Losses in Large-Vocabulary
    Language Models", ICLR 2025 (arXiv:2411.09009).
    Chowdhery et al., "PaLM: Scaling Language Modeling with Pathways", JMLR 2023 (z-loss).
    Gemma Team, "Gemma 2: Improving Open Language Models at a Practical Size",
    arXiv:2408.00118, 2024 (logit softcapping).
    Milakov & Gimelshein, "Online normalizer calculation for softmax", arXiv:1805.02867,
    2018.
    """
    ns = resolve(hidden, weight, target, bias)
    _check_shapes(hidden, weight, target, bias, ns)
    vocab = int(weight.shape[0])
    labels, keep, bad = _labels(target, ignore_index, vocab, ns)
    head = _Head(
        _chunk_size(int(hidden.shape[0]), vocab, chunk_size),
        vocab,
        label_smoothing,
        z_loss,
        softcap,
        ns.xp,
    )

    def value(h: Any, w: Any, b: Any, y: Any, k: Any) -> tuple[Any, tuple[Any, ...]]:
        return _forward(h, w, b, y, k, head)

    def gradient(arrays: Any, saved: Any, g: Any, wanted: tuple[bool, ...]) -> tuple[Any, ...]:
        return _backward(arrays, saved, g, head)

    per_token = custom_gradient(
        value, gradient, ns.float(hidden), ns.float(weight), ns.float(bias), labels, keep
    )
    return _weighted_reduce(nan_where(bad, per_token, ns.xp), reduction, ns.xp, keep, None)
