"""Embedding family: references written out from the formulas, natives from torch/Optax/Keras."""

from __future__ import annotations

import math
from typing import Any

import array_api_compat
import numpy as np

from tests.cases import Case, Native, elementwise, reduce_ref, torch_native, torch_tensor

# --- independent float64 references ---------------------------------------------------


@elementwise
def ref_contrastive(d: Any, y: Any, margin: float = 1.0) -> Any:
    return y * d**2 + (1 - y) * np.maximum(0.0, margin - d) ** 2


def _torch_distance(x: Any, y: Any, p: float, eps: float) -> Any:
    return np.linalg.norm(x - y + eps, ord=p, axis=-1)


@elementwise
def ref_triplet_margin(
    a: Any,
    pos: Any,
    neg: Any,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
) -> Any:
    d_pos = _torch_distance(a, pos, p, eps)
    d_neg = _torch_distance(a, neg, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, _torch_distance(pos, neg, p, eps))
    return np.maximum(0.0, margin + d_pos - d_neg)


def cosine_distance(x1: Any, x2: Any) -> Any:
    """``1 - cos(x1, x2)`` over the last axis, for any array library: the distance callable
    of the ``triplet_margin_with_distance`` cases (anyloss, the reference and torch)."""
    xp = array_api_compat.array_namespace(x1, x2)
    dot = xp.sum(x1 * x2, axis=-1)
    return 1 - dot / xp.sqrt(xp.sum(x1 * x1, axis=-1) * xp.sum(x2 * x2, axis=-1))


@elementwise
def ref_triplet_margin_with_distance(
    a: Any, pos: Any, neg: Any, distance: Any = None, margin: float = 1.0, swap: bool = False
) -> Any:
    if distance is None:
        distance = lambda x, y: _torch_distance(x, y, 2.0, 1e-6)  # noqa: E731
    d_pos, d_neg = distance(a, pos), distance(a, neg)
    if swap:
        d_neg = np.minimum(d_neg, distance(pos, neg))
    return np.maximum(0.0, margin + d_pos - d_neg)


def _one_minus_torch_cos(x1: Any, x2: Any, cos: Any) -> Any:
    """``1 - cos`` of torch's cosine (1e-12 added to each squared norm), without cancellation.

    ``1 - c·k`` with c the true cosine and k = |x1||x2| / sqrt((|x1|²+ε)(|x2|²+ε)):
    ``(1 - c) + c (1 - k)``, 1 - c as half the squared chord between the unit vectors,
    1 - k through expm1/log1p. Zero vectors (no direction) fall back to ``1 - cos``.
    """
    n1, n2 = np.linalg.norm(x1, axis=-1), np.linalg.norm(x2, axis=-1)
    ok = (n1 > 0) & (n2 > 0)
    s1, s2 = np.where(ok, n1, 1.0), np.where(ok, n2, 1.0)
    chord = np.linalg.norm(x1 / s1[..., None] - x2 / s2[..., None], axis=-1)
    one_minus_c = chord**2 / 2
    one_minus_k = -np.expm1(-0.5 * (np.log1p(1e-12 / s1**2) + np.log1p(1e-12 / s2**2)))
    return np.where(ok, one_minus_c + (1 - one_minus_c) * one_minus_k, 1 - cos)


@elementwise
def ref_cosine_embedding(x1: Any, x2: Any, y: Any, margin: float = 0.0) -> Any:
    dot = np.sum(x1 * x2, axis=-1)
    cos = dot / np.sqrt((np.sum(x1**2, axis=-1) + 1e-12) * (np.sum(x2**2, axis=-1) + 1e-12))
    positive = _one_minus_torch_cos(x1, x2, cos)
    return np.where(y == 1, positive, 0.0) + np.where(y == -1, np.maximum(0.0, cos - margin), 0.0)


@elementwise
def ref_margin_ranking(x1: Any, x2: Any, y: Any, margin: float = 0.0) -> Any:
    return np.maximum(0.0, -y * (x1 - x2) + margin)


@elementwise
def ref_hinge_embedding(d: Any, y: Any, margin: float = 1.0) -> Any:
    return np.where(y == 1, d, np.maximum(0.0, margin - d))


@elementwise
def ref_cosine_similarity(p: Any, t: Any, axis: int = -1) -> Any:
    def unit(x: Any) -> Any:
        return x / np.maximum(np.linalg.norm(x, axis=axis, keepdims=True), 1e-7)

    return -np.sum(unit(p) * unit(t), axis=axis)


def ref_ntxent(e: Any, labels: Any, reduction: str = "mean", temperature: float = 0.07) -> Any:
    """Pair by pair: -log(e^s_ij / (e^s_ij + sum_neg e^s_ik)) = log1p(sum_neg e^(s_ik - s_ij))."""
    n = e.shape[0]
    norms = np.sqrt(np.maximum(np.sum(e**2, axis=1), np.finfo(np.float64).eps))
    s = (e / norms[:, None]) @ (e / norms[:, None]).T / temperature
    per_row, pairs = np.zeros(n), 0
    for i in range(n):
        negatives = s[i][labels != labels[i]]
        for j in range(n):
            if j == i or labels[j] != labels[i]:
                continue
            pairs += 1
            per_row[i] += np.log1p(np.sum(np.exp(negatives - s[i, j])))
    if reduction == "mean":
        return np.asarray(per_row.sum() / pairs if pairs else 0.0)
    return reduce_ref(per_row, reduction)


# --- native references -------------------------------------------------------------------


def _torch_triplet_with_distance() -> Native:
    def fn(*arrays: Any, reduction: str = "mean", distance: Any = None, **kw: Any) -> Any:
        import torch.nn.functional as F

        tensors = (torch_tensor(a) for a in arrays)
        return F.triplet_margin_with_distance_loss(
            *tensors, distance_function=distance, reduction=reduction, **kw
        )

    return Native("torch.nn.functional.triplet_margin_with_distance_loss", fn, ("torch",))


def _keras_cosine() -> Native:
    def fn(p: Any, t: Any, reduction: str = "mean", **kw: Any) -> Any:
        from tests.cases._keras import KERAS_REDUCTION, keras

        k = keras()
        loss = k.losses.CosineSimilarity(reduction=KERAS_REDUCTION[reduction], **kw)
        return k.ops.convert_to_numpy(loss(t, p))

    return Native("keras.losses.CosineSimilarity", fn, ("keras", "jax"))


def _optax_ntxent() -> Native:
    def fn(e: Any, labels: Any, reduction: str = "mean", **kw: Any) -> Any:
        import jax
        import jax.numpy as jnp
        import optax

        jax.config.update("jax_enable_x64", True)
        return np.asarray(optax.ntxent(jnp.asarray(e), jnp.asarray(labels), **kw))

    return Native("optax.ntxent", fn, ("optax", "jax"), reductions=("mean",))


TRIPLET = torch_native("triplet_margin_loss")
TRIPLET_WITH_DISTANCE = _torch_triplet_with_distance()
COSINE_EMBEDDING = torch_native("cosine_embedding_loss")
MARGIN_RANKING = torch_native("margin_ranking_loss")
HINGE_EMBEDDING = torch_native("hinge_embedding_loss")
KERAS_COSINE = _keras_cosine()
OPTAX_NTXENT = _optax_ntxent()


# --- inputs --------------------------------------------------------------------------------


def _triplet(*shape: int, scale: float = 1.0) -> Any:
    return lambda r: tuple(scale * r.standard_normal(shape) for _ in range(3))


def _identical_triplet(r: np.random.Generator) -> tuple[Any, ...]:
    a = r.standard_normal((5, 4))
    return a, a.copy(), r.standard_normal((5, 4))


def _cosine_pairs(*shape: int, zero_rows: int = 0) -> Any:
    def make(r: np.random.Generator) -> tuple[Any, ...]:
        x1, x2 = r.standard_normal(shape), r.standard_normal(shape)
        x1[:zero_rows] = 0.0
        x2[zero_rows : 2 * zero_rows] = 0.0
        return x1, x2, np.asarray(r.choice([-1.0, 1.0], shape[:-1]))

    return make


def _near_parallel(r: np.random.Generator) -> tuple[Any, ...]:
    # similar pairs at angles ~1e-2: 1 - cos ~ 1e-4, where float32's 1 - cos (torch's form)
    # keeps only three digits; the chord form keeps float32 tolerance
    x1 = r.standard_normal((6, 5))
    return x1, 3.0 * x1 + 5e-2 * r.standard_normal((6, 5)), np.ones(6)


def _ranking(*shape: int, scale: float = 1.0) -> Any:
    return lambda r: (
        scale * r.standard_normal(shape),
        scale * r.standard_normal(shape),
        r.choice([-1.0, 1.0], shape),
    )


def _distances(*shape: int, high: float = 2.0, zero_one: bool = False) -> Any:
    def make(r: np.random.Generator) -> tuple[Any, ...]:
        t = r.integers(0, 2, shape).astype(np.float64)
        return r.uniform(0, high, shape), t if zero_one else 2 * t - 1

    return make


def _contrastive_edges(r: np.random.Generator) -> tuple[Any, ...]:
    # zero distances, distances near and far beyond the margin, for both targets
    d = np.array([[0.0, 0.0, 0.3, 0.3, 5.0, 5.0], [2.0, 2.0, 0.999, 0.999, 1.001, 1.001]])
    return d, np.array([[1.0, 0.0] * 3] * 2)


def _at_margin(r: np.random.Generator) -> tuple[Any, ...]:
    return np.ones((2, 4)), np.array([[1.0, 0.0] * 2] * 2)


def _cosine_zero(r: np.random.Generator) -> tuple[Any, ...]:
    p, t = r.standard_normal((5, 4)), r.standard_normal((5, 4))
    p[0], t[1], p[2], t[2] = 0.0, 0.0, 0.0, 0.0
    return p, t


def _embeddings(n: int, d: int, labels: Any, scale: float = 1.0) -> Any:
    return lambda r: (scale * r.standard_normal((n, d)), np.asarray(labels, dtype=np.int64))


def _two_views(r: np.random.Generator) -> tuple[Any, ...]:
    # SimCLR layout: 2n embeddings, view k and k + n share label k
    # noisy views: losses of order 1, so bfloat16 is judged on values it can represent
    base = r.standard_normal((4, 6))
    views = np.concatenate(
        [base + 1.5 * r.standard_normal((4, 6)), base + 1.5 * r.standard_normal((4, 6))]
    )
    return views, np.concatenate([np.arange(4), np.arange(4)])


def _with_zero_embedding(r: np.random.Generator) -> tuple[Any, ...]:
    e = r.standard_normal((6, 4))
    e[2] = 0.0
    return e, np.array([0, 1, 0, 1, 2, 2])


CASES: list[Case] = [
    # contrastive
    Case("contrastive", ref_contrastive),
    Case("contrastive", ref_contrastive, kwargs={"margin": 0.5}, id="margin0.5"),
    Case(
        "contrastive",
        ref_contrastive,
        _distances(3, 4, 5, high=3.0, zero_one=True),
        kwargs={"margin": 2.0},
        id="3d",
    ),
    Case("contrastive", ref_contrastive, _contrastive_edges, id="edges"),
    Case("contrastive", ref_contrastive, _at_margin, id="at-margin", grad=False),
    Case(
        "contrastive",
        ref_contrastive,
        _distances(4, 3, high=1e4, zero_one=True),
        id="large-distance",
        half=False,
    ),
    # triplet_margin
    Case("triplet_margin", ref_triplet_margin, native=(TRIPLET,)),
    Case(
        "triplet_margin",
        ref_triplet_margin,
        kwargs={"margin": 2.0, "p": 1.0},
        id="p1",
        native=(TRIPLET,),
    ),
    Case(
        "triplet_margin",
        ref_triplet_margin,
        kwargs={"p": 3.0, "eps": 1e-3},
        id="p3",
        native=(TRIPLET,),
    ),
    Case(
        "triplet_margin",
        ref_triplet_margin,
        kwargs={"p": 0.5, "margin": 8.0},
        id="p0.5",
        native=(TRIPLET,),
    ),
    Case(
        "triplet_margin", ref_triplet_margin, kwargs={"p": math.inf}, id="pinf", native=(TRIPLET,)
    ),
    Case(
        "triplet_margin",
        ref_triplet_margin,
        kwargs={"swap": True, "margin": 2.0},
        id="swap",
        native=(TRIPLET,),
    ),
    Case(
        "triplet_margin",
        ref_triplet_margin,
        _triplet(7),
        kwargs={"margin": 4.0},
        id="1d",
        native=(TRIPLET,),
    ),
    Case("triplet_margin", ref_triplet_margin, _triplet(2, 3, 4), kwargs={"margin": 2.0}, id="3d"),
    Case(
        "triplet_margin",
        ref_triplet_margin,
        _identical_triplet,
        kwargs={"eps": 0.0, "margin": 0.0},
        id="zero-distance",
        grad=False,
    ),
    Case(
        "triplet_margin",
        ref_triplet_margin,
        _triplet(4, 3, scale=1e4),
        kwargs={"margin": 1e4},
        id="large",
        half=False,
        native=(TRIPLET,),
    ),
    # triplet_margin_with_distance
    Case(
        "triplet_margin_with_distance",
        ref_triplet_margin_with_distance,
        native=(TRIPLET_WITH_DISTANCE,),
    ),
    Case(
        "triplet_margin_with_distance",
        ref_triplet_margin_with_distance,
        kwargs={"swap": True, "margin": 2.0},
        id="swap",
        native=(TRIPLET_WITH_DISTANCE,),
    ),
    Case(
        "triplet_margin_with_distance",
        ref_triplet_margin_with_distance,
        kwargs={"distance": cosine_distance, "margin": 0.5},
        id="cosine",
        native=(TRIPLET_WITH_DISTANCE,),
    ),
    Case(
        "triplet_margin_with_distance",
        ref_triplet_margin_with_distance,
        _triplet(2, 5, 3),
        kwargs={"distance": cosine_distance, "margin": 0.3, "swap": True},
        id="cosine-swap-3d",
        native=(TRIPLET_WITH_DISTANCE,),
    ),
    # cosine_embedding
    Case("cosine_embedding", ref_cosine_embedding, native=(COSINE_EMBEDDING,)),
    Case(
        "cosine_embedding",
        ref_cosine_embedding,
        kwargs={"margin": -0.2},
        id="margin-0.2",
        native=(COSINE_EMBEDDING,),
    ),
    Case(
        "cosine_embedding",
        ref_cosine_embedding,
        _cosine_pairs(10, 3),
        kwargs={"margin": 0.4},
        id="margin0.4",
        native=(COSINE_EMBEDDING,),
    ),
    Case("cosine_embedding", ref_cosine_embedding, _cosine_pairs(2, 3, 4), id="3d"),
    # 1 - cos ~ 1e-4 lies below half precision's resolution: float32/float64 only
    Case("cosine_embedding", ref_cosine_embedding, _near_parallel, id="near-parallel", half=False),
    Case(
        "cosine_embedding",
        ref_cosine_embedding,
        _cosine_pairs(6, 4, zero_rows=2),
        id="zero-vectors",
        grad=False,
        native=(COSINE_EMBEDDING,),
    ),
    # margin_ranking
    Case("margin_ranking", ref_margin_ranking, native=(MARGIN_RANKING,)),
    Case(
        "margin_ranking",
        ref_margin_ranking,
        _ranking(5, 4),
        kwargs={"margin": 0.5},
        id="margin0.5",
        native=(MARGIN_RANKING,),
    ),
    Case(
        "margin_ranking",
        ref_margin_ranking,
        _ranking(5, 4),
        kwargs={"margin": -0.5},
        id="negative-margin",
        native=(MARGIN_RANKING,),
    ),
    Case(
        "margin_ranking",
        ref_margin_ranking,
        _ranking(4, 3, scale=1e4),
        kwargs={"margin": 1.0},
        id="large",
        native=(MARGIN_RANKING,),
    ),
    # hinge_embedding
    Case("hinge_embedding", ref_hinge_embedding, native=(HINGE_EMBEDDING,)),
    Case(
        "hinge_embedding",
        ref_hinge_embedding,
        kwargs={"margin": 1.5},
        id="margin1.5",
        native=(HINGE_EMBEDDING,),
    ),
    Case(
        "hinge_embedding",
        ref_hinge_embedding,
        _distances(2, 3, 4, high=3.0),
        kwargs={"margin": 0.0},
        id="margin0",
        native=(HINGE_EMBEDDING,),
    ),
    Case(
        "hinge_embedding",
        ref_hinge_embedding,
        _distances(4, 3, high=1e4),
        id="large",
        native=(HINGE_EMBEDDING,),
    ),
    # cosine_similarity
    Case("cosine_similarity", ref_cosine_similarity, native=(KERAS_COSINE,)),
    Case(
        "cosine_similarity",
        ref_cosine_similarity,
        lambda r: (r.standard_normal((3, 5, 4)), r.standard_normal((3, 5, 4))),
        kwargs={"axis": 1},
        id="axis1",
        native=(KERAS_COSINE,),
    ),
    Case(
        "cosine_similarity",
        ref_cosine_similarity,
        lambda r: (r.standard_normal((5, 4)), r.standard_normal((5, 4))),
        kwargs={"axis": 0},
        id="axis0",
        native=(KERAS_COSINE,),
    ),
    Case(
        "cosine_similarity",
        ref_cosine_similarity,
        _cosine_zero,
        id="zero-vectors",
        grad=False,
        native=(KERAS_COSINE,),
    ),
    Case(
        "cosine_similarity",
        ref_cosine_similarity,
        lambda r: (1e3 * r.standard_normal((4, 3)), 1e3 * r.standard_normal((4, 3))),
        id="large",
        half=False,
        native=(KERAS_COSINE,),
    ),
    # ntxent
    Case("ntxent", ref_ntxent, native=(OPTAX_NTXENT,)),
    # bfloat16 resolves s = cos / 0.07 to about ±0.06, so order-1 losses miss the half
    # tolerance by rounding alone (no overflow); the t0.2 and t0.01 cases cover half precision
    Case("ntxent", ref_ntxent, _two_views, id="two-views", half=False, native=(OPTAX_NTXENT,)),
    Case(
        "ntxent",
        ref_ntxent,
        _two_views,
        kwargs={"temperature": 0.2},
        id="two-views-t0.2",
        native=(OPTAX_NTXENT,),
    ),
    Case(
        "ntxent",
        ref_ntxent,
        _embeddings(8, 5, [0, 0, 1, 1, 2, 2, 3, 3]),
        kwargs={"temperature": 0.01},
        id="t0.01",
        native=(OPTAX_NTXENT,),
    ),
    Case("ntxent", ref_ntxent, _embeddings(6, 3, [0, 1, 2, 3, 4, 5]), id="no-positive"),
    Case(
        "ntxent",
        ref_ntxent,
        _embeddings(6, 3, [0, 0, 1, 2, 3, 4]),
        kwargs={"temperature": 0.3},
        id="lonely-rows",
        native=(OPTAX_NTXENT,),
    ),
    Case(
        "ntxent",
        ref_ntxent,
        _embeddings(5, 3, [7, 7, 7, 7, 7]),
        id="no-negative",
        native=(OPTAX_NTXENT,),
    ),
    Case(
        "ntxent",
        ref_ntxent,
        _with_zero_embedding,
        kwargs={"temperature": 0.2},
        id="zero-embedding",
        grad=False,
        native=(OPTAX_NTXENT,),
    ),
    Case(
        "ntxent",
        ref_ntxent,
        _embeddings(6, 4, [0, 1, 0, 1, 2, 2], scale=1e4),
        kwargs={"temperature": 0.5},
        id="large",
        half=False,
        native=(OPTAX_NTXENT,),
    ),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "contrastive": [{"margin": -1.0}, {"margin": "1"}],
    "triplet_margin": [{"margin": -0.5}, {"p": 0.0}, {"p": -1.0}, {"eps": -1e-6}, {"swap": 1}],
    "triplet_margin_with_distance": [
        {"margin": -0.5},
        {"swap": 1},
        {"distance": "euclidean"},
        {"distance": 2.0},
    ],
    "cosine_embedding": [{"margin": 1.5}, {"margin": -2.0}],
    "margin_ranking": [{"margin": math.nan}, {"margin": None}],
    "hinge_embedding": [{"margin": -1.0}],
    "ntxent": [{"temperature": 0.0}, {"temperature": -0.1}],
    "cosine_similarity": [{"axis": "0"}, {"axis": True}, {"axis": None}],
}
