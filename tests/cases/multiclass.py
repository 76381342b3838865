"""Multiclass losses beyond cross-entropy: float64 NumPy references written out from the
formulas (and the papers' own forms), natives from torch.nn.functional, Optax and Keras."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.cases import KERAS_TOLERANCE, KERAS_WHY, Case, Domain, Native, elementwise, reduce_ref

# --- independent float64 references -------------------------------------------------------


def _rows(x: Any, axis: int) -> Any:
    """The class axis last, every other axis flattened: (samples, C)."""
    x = np.moveaxis(np.asarray(x), axis, -1)
    return x.reshape(-1, x.shape[-1])


def _per_sample(values: list[float], like: Any, axis: int) -> Any:
    shape = np.moveaxis(np.asarray(like), axis, -1).shape[:-1]
    return np.asarray(values, dtype=np.float64).reshape(shape)


def ref_multilabel_margin(s: Any, t: Any, axis: int = -1, reduction: str = "mean") -> Any:
    out = []
    for scores, labels in zip(_rows(s, axis), _rows(t, axis), strict=True):
        c = scores.size
        listed = []
        for label in labels:
            if label == -1:
                break
            listed.append(int(label))
        others = [i for i in range(c) if i not in listed]
        total = sum(max(0.0, 1.0 - (scores[j] - scores[i])) for j in listed for i in others)
        out.append(total / c)
    return reduce_ref(_per_sample(out, s, axis), reduction)


def ref_generalized_cross_entropy(
    p: Any, t: Any, q: float = 0.5, axis: int = -1, reduction: str = "mean"
) -> Any:
    p = np.moveaxis(p, axis, -1)
    if np.issubdtype(t.dtype, np.floating):
        p_y = np.sum(np.moveaxis(t, axis, -1) * p, axis=-1)
    else:
        p_y = np.take_along_axis(p, t[..., None], axis=-1)[..., 0]
    return reduce_ref((1.0 - p_y**q) / q, reduction)


def _sparsemax(z: Any) -> tuple[Any, float]:
    """Martins & Astudillo, Algorithm 1: the projection and its threshold (one row)."""
    zs = np.sort(z)[::-1]
    k = np.arange(1, z.size + 1)
    support = 1 + k * zs > np.cumsum(zs)
    k_z = k[support][-1]
    tau = (zs[:k_z].sum() - 1) / k_z
    return np.maximum(z - tau, 0.0), tau


def ref_sparsemax(z: Any, y: Any, axis: int = -1, reduction: str = "mean") -> Any:
    # the paper's eq. 18: -z_y + 1/2 sum_{j in S} (z_j^2 - tau^2) + 1/2
    out = []
    for row, label in zip(_rows(z, axis), np.ravel(y), strict=True):
        p, tau = _sparsemax(row)
        support = p > 0
        out.append(-row[label] + 0.5 * np.sum(row[support] ** 2 - tau**2) + 0.5)
    return reduce_ref(_per_sample(out, z, axis), reduction)


@elementwise
def ref_perceptron(s: Any, t: Any) -> Any:
    return np.maximum(0.0, -t * s)


def ref_multiclass_perceptron(s: Any, y: Any, axis: int = -1, reduction: str = "mean") -> Any:
    s = np.moveaxis(s, axis, -1)
    s_y = np.take_along_axis(s, y[..., None], axis=-1)[..., 0]
    return reduce_ref(s.max(axis=-1) - s_y, reduction)


# --- native references -------------------------------------------------------------------


def _torch_multilabel_margin() -> Native:
    """torch wants (N, C) scores and targets: ``axis`` last, the rest flattened."""

    def fn(s: Any, t: Any, reduction: str = "mean", axis: int = -1) -> Any:
        import torch
        import torch.nn.functional as F

        ts, tt = torch.from_numpy(_rows(s, axis).copy()), torch.from_numpy(_rows(t, axis).copy())
        out = F.multilabel_margin_loss(ts, tt, reduction=reduction)
        return (
            out.reshape(_per_sample(np.zeros(len(ts)), s, axis).shape)
            if reduction == "none"
            else out
        )

    return Native("torch.nn.functional.multilabel_margin_loss", fn, ("torch",))


def _optax_classes(fname: str) -> Native:
    """``optax.losses.<fname>(scores, labels)`` on (N, C) rows, then reduced."""

    def fn(s: Any, y: Any, reduction: str = "mean", axis: int = -1) -> Any:
        import optax

        out = np.asarray(getattr(optax.losses, fname)(_rows(s, axis), np.ravel(y)))
        return reduce_ref(out.reshape(np.shape(y)), reduction)

    return Native(f"optax.{fname}", fn, ("optax",))


def _optax_perceptron() -> Native:
    def fn(s: Any, t: Any, reduction: str = "mean") -> Any:
        import optax

        return reduce_ref(np.asarray(optax.losses.perceptron_loss(s, t)), reduction)

    return Native("optax.perceptron_loss", fn, ("optax",))


def _keras_gce() -> Native:
    """Keras takes integer labels, the class axis last and q in (0, 1)."""
    modes = {"mean": "sum_over_batch_size", "sum": "sum", "none": None}

    def fn(p: Any, y: Any, reduction: str = "mean", q: float = 0.5, axis: int = -1) -> Any:
        from tests.cases._keras import keras

        obj = keras().losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=modes[reduction])
        return keras().ops.convert_to_numpy(obj(y, np.moveaxis(p, axis, -1)))

    return Native(
        "keras.losses.CategoricalGeneralizedCrossEntropy",
        fn,
        ("keras", "jax"),
        tolerance=KERAS_TOLERANCE,
        why=KERAS_WHY,
    )


# --- inputs ------------------------------------------------------------------------------


def _multilabel_edges(rng: np.random.Generator) -> tuple[Any, ...]:
    """No target, every class a target, a class listed twice, values after the first -1."""
    s = rng.normal(0, 1, (5, 4))
    t = np.array(
        [[-1, -1, -1, -1], [2, 0, 3, 1], [1, 1, -1, -1], [3, -1, 0, 2], [0, 2, -1, 1]],
        dtype=np.int64,
    )
    return s, t


def _multilabel_axis1(rng: np.random.Generator) -> tuple[Any, ...]:
    """(N, C, K) scores with targets listed along axis 1."""
    s = rng.normal(0, 1, (3, 4, 2))
    t = np.full((3, 4, 2), -1, dtype=np.int64)
    for n in range(3):
        for k in range(2):
            m = int(rng.integers(1, 4))
            t[n, :m, k] = rng.permutation(4)[:m]
    return s, t


def _probs_one_hot(rng: np.random.Generator) -> tuple[Any, ...]:
    """(N, C, K) probabilities along axis 1 with one-hot targets."""
    p = rng.uniform(0.05, 1.0, (3, 4, 2))
    p = p / p.sum(axis=1, keepdims=True)
    t = np.moveaxis(np.eye(4)[rng.integers(0, 4, (3, 2))], -1, 1)
    return p, t


def _probs_at_edges(rng: np.random.Generator) -> tuple[Any, ...]:
    """p_y exactly 0 and exactly 1, beside ordinary rows."""
    p = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [0.0, 1.0, 0.0]])
    return p, np.array([0, 0, 2, 0])


def _sparsemax_ties(rng: np.random.Generator) -> tuple[Any, ...]:
    """Equal logits, logits exactly at the threshold (d_c = tau) and a dominant target."""
    z = np.array(
        [[1.0, 1.0, 1.0, 1.0], [2.0, 1.0, 0.0, -1.0], [0.5, 0.5, -0.5, 3.0], [3.0, 0.0, 0.0, 1.0]]
    )
    return z, np.array([0, 1, 3, 2])


def _sparsemax_extreme(rng: np.random.Generator) -> tuple[Any, ...]:
    """Logits of ±1e4: right, wrong and tied at the top."""
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [1e4, 1e4, -1e4], [-1e4, 0.0, 1e4]])
    return z, np.array([0, 0, 1, 1])


def _indices_axis1(rng: np.random.Generator) -> tuple[Any, ...]:
    return rng.normal(0, 1.5, (3, 5, 2)), rng.integers(0, 5, (3, 2))


_TORCH_MLM = _torch_multilabel_margin()
_KERAS_GCE = _keras_gce()
_OPTAX_SPARSEMAX = _optax_classes("multiclass_sparsemax_loss")
_OPTAX_MCP = _optax_classes("multiclass_perceptron_loss")

CASES: list[Case] = [
    Case("multilabel_margin", ref_multilabel_margin, native=(_TORCH_MLM,)),
    Case(
        "multilabel_margin",
        ref_multilabel_margin,
        _multilabel_edges,
        id="edges",
        native=(_TORCH_MLM,),
    ),
    Case(
        "multilabel_margin",
        ref_multilabel_margin,
        _multilabel_axis1,
        kwargs={"axis": 1},
        id="axis1",
        native=(_TORCH_MLM,),
    ),
    Case("generalized_cross_entropy", ref_generalized_cross_entropy, native=(_KERAS_GCE,)),
    # Keras refuses q = 1 (its interval is open): the reference only
    Case("generalized_cross_entropy", ref_generalized_cross_entropy, kwargs={"q": 1.0}, id="q1"),
    Case(
        "generalized_cross_entropy",
        ref_generalized_cross_entropy,
        _probs_one_hot,
        kwargs={"axis": 1, "q": 0.7},
        id="one-hot-axis1",
    ),
    # p_y = 0: the slope is unbounded for q < 1 (anyloss gives -1/q there): value only
    Case(
        "generalized_cross_entropy",
        ref_generalized_cross_entropy,
        _probs_at_edges,
        id="prob-0-1",
        grad=False,
        native=(_KERAS_GCE,),
    ),
    Case("sparsemax", ref_sparsemax, native=(_OPTAX_SPARSEMAX,)),
    Case(
        "sparsemax",
        ref_sparsemax,
        _indices_axis1,
        kwargs={"axis": 1},
        id="axis1",
        native=(_OPTAX_SPARSEMAX,),
    ),
    # the loss is C1: finite differences hold at ties and at the threshold too
    Case("sparsemax", ref_sparsemax, _sparsemax_ties, id="ties", native=(_OPTAX_SPARSEMAX,)),
    # grad off: a central difference of step 1e-6 * 1e4 crosses the support's kinks (the
    # gradient of ties at 1e4 is checked by test_multiclass.py against sparsemax(z) - e_y)
    Case(
        "sparsemax",
        ref_sparsemax,
        _sparsemax_extreme,
        id="logits-1e4",
        grad=False,
        native=(_OPTAX_SPARSEMAX,),
    ),
    Case("perceptron", ref_perceptron, native=(_optax_perceptron(),)),
    Case("multiclass_perceptron", ref_multiclass_perceptron, native=(_OPTAX_MCP,)),
    Case(
        "multiclass_perceptron",
        ref_multiclass_perceptron,
        _indices_axis1,
        kwargs={"axis": 1},
        id="axis1",
        native=(_OPTAX_MCP,),
    ),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "multilabel_margin": [{"axis": None}, {"axis": 1.5}],
    "generalized_cross_entropy": [
        {"q": 0.0},
        {"q": -0.5},
        {"q": 1.5},
        {"q": "half"},
        {"axis": "1"},
    ],
    "sparsemax": [{"axis": True}],
    "multiclass_perceptron": [{"axis": None}],
}


# arguments whose values are checked on eager arrays (tests/test_errors.py)
DOMAINS: dict[str, list[Domain]] = {
    "generalized_cross_entropy": [Domain(0, "probs")],
}
