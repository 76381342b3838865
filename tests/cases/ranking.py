"""Ranking cases: float64 NumPy references from the formula; Optax and Rax natives."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.cases import Case, Native

# --- independent float64 references ---------------------------------------------------


def ref_ranking_softmax(
    s: Any, y: Any, reduction: str = "mean", axis: int = -1, where: Any = None
) -> Any:
    s, y = np.moveaxis(s, axis, -1), np.moveaxis(y, axis, -1).astype(np.float64)
    valid = np.ones(s.shape, bool) if where is None else np.moveaxis(where, axis, -1)
    flat_s, flat_y, flat_v = (a.reshape(-1, s.shape[-1]) for a in (s, y, valid))
    out = np.zeros(flat_s.shape[0])
    for i, (si, yi, vi) in enumerate(zip(flat_s, flat_y, flat_v, strict=True)):
        si, yi = si[vi], yi[vi]
        if yi.sum() == 0:
            continue
        m = si.max()
        log_p = si - m - np.log(np.exp(si - m).sum())
        out[i] = -np.sum(yi / yi.sum() * log_p)
    out = out.reshape(s.shape[:-1])
    if reduction == "none":
        return out
    if reduction == "sum":
        return np.asarray(out.sum())
    lists = valid.any(-1).sum()
    return np.asarray(out.sum() / lists if lists else 0.0)


# --- native references -------------------------------------------------------------------


def _normalised(y: Any, where: Any) -> Any:
    y = y if where is None else np.where(where, y, 0.0)
    total = y.sum(-1, keepdims=True)
    return np.where(total > 0, y / np.where(total > 0, total, 1.0), 0.0)


def _reduce_fn(reduction: str) -> Any:
    import jax.numpy as jnp

    return {"mean": jnp.mean, "sum": jnp.sum, "none": None}[reduction]


def _optax() -> Native:
    """``optax.ranking_softmax_loss`` on labels normalised over each list's valid items."""

    def fn(s: Any, y: Any, reduction: str = "mean", axis: int = -1, where: Any = None) -> Any:
        import jax

        jax.config.update("jax_enable_x64", True)
        import optax

        s, y = np.moveaxis(s, axis, -1), np.moveaxis(y, axis, -1).astype(np.float64)
        w = None if where is None else np.moveaxis(where, axis, -1)
        out = optax.losses.ranking_softmax_loss(
            s, _normalised(y, w), where=w, reduce_fn=_reduce_fn(reduction)
        )
        return np.asarray(out)

    return Native("optax.ranking_softmax_loss", fn, ("optax", "jax"))


def _rax() -> Native:
    """``rax.softmax_loss(label_fn=normalize_probabilities)``: equal where every list with
    valid items has a relevant one (Rax makes a list without one uniform)."""

    def fn(s: Any, y: Any, reduction: str = "mean", axis: int = -1, where: Any = None) -> Any:
        import jax

        jax.config.update("jax_enable_x64", True)
        import rax

        s, y = np.moveaxis(s, axis, -1), np.moveaxis(y, axis, -1).astype(np.float64)
        w = None if where is None else np.moveaxis(where, axis, -1)
        out = rax.softmax_loss(
            s,
            y,
            where=w,
            label_fn=rax.utils.normalize_probabilities,
            reduce_fn=_reduce_fn(reduction),
        )
        return np.asarray(out)

    return Native("rax.softmax_loss", fn, ("rax", "jax"))


OPTAX, RAX = _optax(), _rax()

# --- inputs ---------------------------------------------------------------------------------


def _lists(shape: tuple[int, ...] = (5, 6)) -> Any:
    """Scores and graded labels 0-3; every list has a relevant item."""

    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        y = np.floor(4 * rng.uniform(0.0, 1.0, shape))
        y[..., 0] = 3.0
        return 2 * rng.standard_normal(shape), rng.permuted(y, axis=-1)

    return make


def _edge_lists(rng: np.random.Generator) -> tuple[Any, ...]:
    """List 1 without a relevant item, list 2 with its only relevant item masked, list 3
    entirely masked (it counts in no "mean"), list 4 with a huge score where masked."""
    s, y = _lists((5, 6))(rng)
    y[1] = 0.0
    y[2] = [2.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    s[4, 5] = 1e30
    return s, y


def _saturated(rng: np.random.Generator) -> tuple[Any, ...]:
    """Scores of ±1e4, one +1e4 per list (finite-difference steps of 1e-2 there: a tie at
    the top would curve the loss too sharply for them)."""
    s = np.full((4, 5), -1e4)
    s[np.arange(4), [0, 2, 1, 4]] = 1e4
    return s, _lists((4, 5))(rng)[1]


_EDGE_WHERE = np.ones((5, 6), dtype=bool)
_EDGE_WHERE[2, 0] = False
_EDGE_WHERE[3] = False
_EDGE_WHERE[4, 5] = False

# --- cases ------------------------------------------------------------------------------

CASES: list[Case] = [
    Case("ranking_softmax", ref_ranking_softmax, native=(OPTAX, RAX)),
    Case("ranking_softmax", ref_ranking_softmax, _lists(), id="no-mask", native=(OPTAX, RAX)),
    Case(
        "ranking_softmax",
        ref_ranking_softmax,
        lambda r: tuple(np.moveaxis(a, -1, 1) for a in _lists((2, 3, 5))(r)),
        {"axis": 1},
        id="axis1",
        native=(OPTAX, RAX),
    ),
    # Rax's uniform fill of a list without relevant items differs: Optax only
    Case(
        "ranking_softmax",
        ref_ranking_softmax,
        _edge_lists,
        {"where": _EDGE_WHERE},
        id="edges",
        native=(OPTAX,),
    ),
    Case(
        "ranking_softmax",
        ref_ranking_softmax,
        _saturated,
        id="saturated",
        native=(OPTAX, RAX),
    ),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "ranking_softmax": [{"axis": 1.0}, {"where": np.ones((4, 6))}, {"where": "all"}],
}
