"""Large-vocabulary family: the float64 NumPy reference materialises the (N, V) logits that
the loss never holds; the native reference is torch's ``F.cross_entropy`` of those logits."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.cases import Case, Native, reduce_ref, torch_tensor


def ref_linear_cross_entropy(
    h: Any,
    w: Any,
    t: Any,
    reduction: str = "mean",
    bias: Any = None,
    ignore_index: Any = None,
    label_smoothing: float = 0.0,
    z_loss: float = 0.0,
    softcap: Any = None,
    chunk_size: Any = None,
) -> Any:
    """cross-entropy of ``h @ w.T + bias`` (softcapped) plus ``z_loss · logsumexp²``."""
    x = h @ w.T + (0.0 if bias is None else bias)
    if softcap is not None:
        x = softcap * np.tanh(x / softcap)
    m = np.max(x, axis=-1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(x - m), axis=-1))
    log_p = x - lse[:, None]
    keep = np.ones(t.shape, bool) if ignore_index is None else t != ignore_index
    y = np.where(keep, t, 0)
    eps = label_smoothing
    nll = -np.take_along_axis(log_p, y[:, None], axis=-1)[:, 0]
    loss = (1 - eps) * nll - eps * np.mean(log_p, axis=-1) + z_loss * lse**2
    loss = np.where(keep, loss, 0.0)
    if reduction != "mean":
        return reduce_ref(loss, reduction)
    return np.asarray(loss.sum() / keep.sum() if keep.any() else 0.0)


def _torch_linear_ce() -> Native:
    """``F.cross_entropy(h @ W.T + b, t)``: the same loss with the logits materialised."""

    def fn(h: Any, w: Any, t: Any, reduction: str = "mean", bias: Any = None, **kw: Any) -> Any:
        import torch.nn.functional as F

        kw.pop("chunk_size", None)
        b = None if bias is None else torch_tensor(bias)
        logits = F.linear(torch_tensor(h), torch_tensor(w), b)
        return F.cross_entropy(logits, torch_tensor(t), reduction=reduction, **kw)

    return Native("torch.nn.functional.cross_entropy(linear)", fn, ("torch",))


def _tokens(ignored: int | None) -> Any:
    """Six tokens of four features, a vocabulary of eleven; token 1 labelled ``ignored``."""

    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        h, w = rng.standard_normal((6, 4)), rng.standard_normal((11, 4))
        t = rng.integers(0, 11, 6, dtype=np.int64)
        if ignored is not None:
            t[1] = ignored
        return h, w, t

    return make


_BIAS = np.linspace(-1.0, 1.5, 11)

CASES = [
    # the registry's example (with a bias); chunks of 4 columns: 4 + 4 + 3
    Case(
        "linear_cross_entropy",
        ref_linear_cross_entropy,
        kwargs={"chunk_size": 4},
        native=(_torch_linear_ce(),),
    ),
    Case(
        "linear_cross_entropy",
        ref_linear_cross_entropy,
        make=_tokens(-100),
        kwargs={"label_smoothing": 0.1, "ignore_index": -100, "chunk_size": 4},
        id="smoothing-ignore-nobias",
        native=(_torch_linear_ce(),),
    ),
    Case(
        "linear_cross_entropy",
        ref_linear_cross_entropy,
        make=_tokens(2),
        kwargs={
            "bias": _BIAS,
            "ignore_index": 2,
            "label_smoothing": 0.05,
            "z_loss": 0.05,
            "softcap": 3.0,
            "chunk_size": 5,
        },
        id="zloss-softcap",
    ),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "linear_cross_entropy": [
        {"bias": 1.0},
        {"ignore_index": 1.5},
        {"label_smoothing": 1.5},
        {"label_smoothing": -0.1},
        {"z_loss": -0.1},
        {"softcap": 0.0},
        {"softcap": -1.0},
        {"chunk_size": 0},
        {"chunk_size": 2.0},
    ],
}
