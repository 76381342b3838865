"""Binary, multi-label and margin losses: float64 NumPy references written out from the formulas.

Natives call the frameworks the catalog names: ``torch.nn.functional``, Optax and Keras
(JAX backend). torchvision and the focal-loss package are not installable here; their
formulas are the NumPy references (``ref_sigmoid_focal``, ``ref_binary_focal``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.cases import (
    KERAS_TOLERANCE,
    KERAS_WHY,
    Case,
    Domain,
    Native,
    elementwise,
    optax_native,
    reduce_ref,
    torch_native,
    torch_tensors,
)

# --- independent float64 references -------------------------------------------------------


def _log_sigmoid(z: Any) -> Any:
    return -np.logaddexp(0.0, -z)


def _expit(z: Any) -> Any:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@elementwise
def ref_bce(p: Any, t: Any, weight: Any = None) -> Any:
    # torch: each log is clamped at -100 (log 0 = -inf -> -100)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.maximum(np.where(p > 0, np.log(p), -np.inf), -100.0)
        log_q = np.maximum(np.where(p < 1, np.log(1.0 - p), -np.inf), -100.0)
    out = -(t * log_p + (1.0 - t) * log_q)
    return out if weight is None else out * weight


@elementwise
def ref_bce_logits(z: Any, t: Any, weight: Any = None, pos_weight: Any = None) -> Any:
    pw = 1.0 if pos_weight is None else pos_weight
    out = -(pw * t * _log_sigmoid(z) + (1.0 - t) * _log_sigmoid(-z))
    return out if weight is None else out * weight


@elementwise
def ref_sigmoid_focal(z: Any, t: Any, alpha: float | None = 0.25, gamma: float = 2.0) -> Any:
    # torchvision.ops.sigmoid_focal_loss: ce * (1 - p_t)**gamma * alpha_t, with
    # p_t = p t + (1 - p)(1 - t); 1 - p_t is written t(1 - p) + (1 - t)p (same value,
    # no cancellation in the tails) so the reference stays accurate at large logits.
    ce = t * np.logaddexp(0.0, -z) + (1.0 - t) * np.logaddexp(0.0, z)
    p = _expit(z)
    one_minus_pt = t * _expit(-z) + (1.0 - t) * p
    out = ce * one_minus_pt**gamma
    if alpha is not None:
        out = (alpha * t + (1.0 - alpha) * (1.0 - t)) * out
    return out


@elementwise
def ref_binary_focal(
    p: Any,
    t: Any,
    gamma: float = 2.0,
    pos_weight: float | None = None,
    label_smoothing: float | None = None,
) -> Any:
    # focal_loss._binary_focal_loss_from_probs, line for line
    eps = 1e-7
    q = 1.0 - p
    p, q = np.maximum(p, eps), np.maximum(q, eps)
    pos = -(q**gamma) * np.log(p)
    if pos_weight is not None:
        pos = pos * pos_weight
    neg = -(p**gamma) * np.log(q)
    if label_smoothing is None:
        return np.where(t.astype(bool), pos, neg)
    t = (1 - label_smoothing) * t + label_smoothing * 0.5
    return t * pos + (1 - t) * neg


@elementwise
def ref_hinge(s: Any, t: Any) -> Any:
    return np.maximum(0.0, 1.0 - t * s)


@elementwise
def ref_squared_hinge(s: Any, t: Any) -> Any:
    return np.maximum(0.0, 1.0 - t * s) ** 2


@elementwise
def ref_soft_margin(s: Any, t: Any) -> Any:
    return np.logaddexp(0.0, -t * s)


def ref_categorical_hinge(s: Any, t: Any, axis: int = -1, reduction: str = "mean") -> Any:
    s, t = np.moveaxis(s, axis, -1), np.moveaxis(t, axis, -1)
    pos = np.sum(t * s, axis=-1)
    neg = np.max((1.0 - t) * s, axis=-1)
    return reduce_ref(np.maximum(0.0, neg - pos + 1.0), reduction)


def ref_multi_margin(
    s: Any,
    y: Any,
    axis: int = -1,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    reduction: str = "mean",
) -> Any:
    s = np.moveaxis(s, axis, -1)
    c = s.shape[-1]
    s_y = np.take_along_axis(s, y[..., None], axis=-1)
    z = np.maximum(0.0, margin - s_y + s) ** p
    z = np.where(np.arange(c) == y[..., None], 0.0, z)
    out = z.sum(axis=-1) / c
    if weight is not None:
        out = out * np.asarray(weight)[y]
    return reduce_ref(out, reduction)


def ref_multilabel_soft_margin(
    z: Any, t: Any, axis: int = -1, weight: Any = None, reduction: str = "mean"
) -> Any:
    z, t = np.moveaxis(z, axis, -1), np.moveaxis(t, axis, -1)
    out = -(t * _log_sigmoid(z) + (1.0 - t) * _log_sigmoid(-z))
    if weight is not None:
        out = out * weight
    return reduce_ref(out.mean(axis=-1), reduction)


# --- native references -------------------------------------------------------------------


def _torch_multi_margin() -> Native:
    """torch wants (N, C) scores: move ``axis`` last and flatten the rest."""

    def fn(s: Any, y: Any, reduction: str = "mean", axis: int = -1, **kw: Any) -> Any:
        import torch.nn.functional as F

        s2 = np.moveaxis(s, axis, -1).reshape(-1, s.shape[axis])
        (ts, ty), kw = torch_tensors((s2, y.reshape(-1)), kw)
        out = F.multi_margin_loss(ts, ty, reduction=reduction, **kw)
        return out.reshape(y.shape) if reduction == "none" else out

    return Native("torch.nn.functional.multi_margin_loss", fn, ("torch",))


def _torch_multilabel() -> Native:
    """torch's class axis is the last one: move ``axis`` there."""

    def fn(z: Any, t: Any, reduction: str = "mean", axis: int = -1, **kw: Any) -> Any:
        import torch.nn.functional as F

        (tz, tt), kw = torch_tensors((np.moveaxis(z, axis, -1), np.moveaxis(t, axis, -1)), kw)
        return F.multilabel_soft_margin_loss(tz, tt, reduction=reduction, **kw)

    return Native("torch.nn.functional.multilabel_soft_margin_loss", fn, ("torch",))


def _keras(cls: str, per_sample: bool = False) -> Native:
    """``per_sample``: Keras's "none" is one value per sample, as anyloss's (class losses)."""

    def fn(s: Any, t: Any, reduction: str = "mean", axis: int = -1) -> Any:
        from tests.cases._keras import KERAS_REDUCTION, keras

        s, t = np.moveaxis(s, axis, -1), np.moveaxis(t, axis, -1)
        obj = getattr(keras().losses, cls)(reduction=KERAS_REDUCTION[reduction])
        return keras().ops.convert_to_numpy(obj(t, s))

    reductions = ("mean", "sum", "none") if per_sample else ("mean",)
    return Native(
        f"keras.losses.{cls}",
        fn,
        ("keras", "jax"),
        reductions=reductions,
        tolerance=KERAS_TOLERANCE,
        why=KERAS_WHY,
    )


# --- inputs ------------------------------------------------------------------------------


def _probs_at_edges(rng: np.random.Generator) -> tuple[Any, ...]:
    """Probabilities of exactly 0 and 1 against both targets, plus ordinary ones."""
    p = np.array([0.0, 1.0, 0.0, 1.0, *rng.uniform(0.05, 0.95, 8)]).reshape(3, 4)
    t = np.array([0.0, 0.0, 1.0, 1.0, *rng.integers(0, 2, 8)], dtype=np.float64).reshape(3, 4)
    return p, t


def _extreme_logits(rng: np.random.Generator) -> tuple[Any, ...]:
    """Logits of ±1e4 and ±1e3 against both targets (saturated right and wrong).

    Only saturated entries: next to losses of 1e4, central differences of ordinary entries
    would drown in the objective's rounding (eps · 1e4 / 1e-6).
    """
    z = np.array([1e4, -1e4, 1e4, -1e4, 1e3, -1e3, 1e3, -1e3, 1e4, -1e3, -1e4, 1e3])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    return z.reshape(3, 4), t.reshape(3, 4)


def _extreme_scores(rng: np.random.Generator) -> tuple[Any, ...]:
    z, t = _extreme_logits(rng)
    return z, 2.0 * t - 1.0


def _soft(rng: np.random.Generator) -> tuple[Any, ...]:
    return rng.normal(0, 2, (5, 4)), rng.uniform(0, 1, (5, 4))


def _logits(*shape: int) -> Any:
    return lambda r: (r.normal(0, 2, shape), r.integers(0, 2, shape).astype(np.float64))


def _probs(*shape: int) -> Any:
    return lambda r: (r.uniform(0.02, 0.98, shape), r.integers(0, 2, shape).astype(np.float64))


def _scores(*shape: int) -> Any:
    return lambda r: (r.normal(0, 1.5, shape), r.choice([-1.0, 1.0], shape))


def _one_hot_axis1(rng: np.random.Generator) -> tuple[Any, ...]:
    """(N, C, K) scores with one-hot targets along axis 1."""
    s = rng.normal(0, 1, (3, 4, 2))
    t = np.moveaxis(np.eye(4)[rng.integers(0, 4, (3, 2))], -1, 1)
    return s, t


def _one_hot_negative(rng: np.random.Generator) -> tuple[Any, ...]:
    """All scores negative: Keras's "negative" maximum is the true class's 0."""
    return -rng.uniform(0.1, 2, (5, 4)), np.eye(4)[rng.integers(0, 4, 5)]


def _indices(*shape: int, classes: int = 5) -> Any:
    return lambda r: (r.normal(0, 1, (*shape, classes)), r.integers(0, classes, shape))


def _indices_axis1(rng: np.random.Generator) -> tuple[Any, ...]:
    return rng.normal(0, 1, (3, 5, 2)), rng.integers(0, 5, (3, 2))


def _multi_hot_axis1(rng: np.random.Generator) -> tuple[Any, ...]:
    return rng.normal(0, 2, (3, 4, 2)), rng.integers(0, 2, (3, 4, 2)).astype(np.float64)


_W5 = np.array([0.5, 1.0, 1.5, 2.0, 0.25])
_TORCH_BCE = torch_native("binary_cross_entropy")
_TORCH_BCEL = torch_native("binary_cross_entropy_with_logits")
_OPTAX_BCEL = optax_native("sigmoid_binary_cross_entropy")
_OPTAX_FOCAL = optax_native("sigmoid_focal_loss", alpha=0.25)

CASES: list[Case] = [
    # binary_cross_entropy
    Case("binary_cross_entropy", ref_bce, native=(_TORCH_BCE,)),
    Case(
        "binary_cross_entropy",
        ref_bce,
        kwargs={"weight": _W5},
        id="class-weight",
        native=(_TORCH_BCE,),
    ),
    Case(
        "binary_cross_entropy",
        ref_bce,
        _probs(6, 5),
        kwargs={"weight": np.ones((6, 1)) * 2},
        id="column-weight",
        native=(_TORCH_BCE,),
    ),
    Case("binary_cross_entropy", ref_bce, _probs(2, 3, 4), id="3d", native=(_TORCH_BCE,)),
    Case(
        "binary_cross_entropy",
        ref_bce,
        lambda r: (r.uniform(0.02, 0.98, (5, 4)), r.uniform(0, 1, (5, 4))),
        id="soft-target",
        native=(_TORCH_BCE,),
    ),
    # p exactly 0 / 1 is the domain's boundary: finite value and gradient, no FD there
    Case(
        "binary_cross_entropy",
        ref_bce,
        _probs_at_edges,
        id="prob-0-1",
        grad=False,
        native=(_TORCH_BCE,),
    ),
    # binary_cross_entropy_with_logits
    Case("binary_cross_entropy_with_logits", ref_bce_logits, native=(_TORCH_BCEL, _OPTAX_BCEL)),
    Case(
        "binary_cross_entropy_with_logits",
        ref_bce_logits,
        kwargs={"weight": _W5, "pos_weight": np.array([3.0, 1.0, 0.5, 2.0, 1.5])},
        id="weight-pos_weight",
        native=(_TORCH_BCEL,),
    ),
    Case(
        "binary_cross_entropy_with_logits",
        ref_bce_logits,
        _logits(2, 3, 2, 2),
        kwargs={
            "pos_weight": np.array([2.0, 0.5, 4.0]).reshape(3, 1, 1),
            "weight": np.array([1.0, 3.0]).reshape(2, 1, 1, 1),
        },
        id="nchw-pos_weight",
        native=(_TORCH_BCEL,),
    ),
    Case(
        "binary_cross_entropy_with_logits",
        ref_bce_logits,
        _logits(6, 5),
        kwargs={"pos_weight": 2.5},
        id="scalar-pos_weight",
    ),
    Case(
        "binary_cross_entropy_with_logits",
        ref_bce_logits,
        _soft,
        id="soft-target",
        native=(_TORCH_BCEL, _OPTAX_BCEL),
    ),
    Case(
        "binary_cross_entropy_with_logits",
        ref_bce_logits,
        _extreme_logits,
        id="logits-1e4",
        kwargs={"pos_weight": np.array([2.0, 1.0, 0.5, 3.0])},
        half=False,
        native=(_TORCH_BCEL,),
    ),
    # sigmoid_focal
    Case("sigmoid_focal", ref_sigmoid_focal, native=(_OPTAX_FOCAL,)),
    Case(
        "sigmoid_focal",
        ref_sigmoid_focal,
        kwargs={"alpha": None},
        id="no-alpha",
        native=(_OPTAX_FOCAL,),
    ),
    Case(
        "sigmoid_focal",
        ref_sigmoid_focal,
        kwargs={"alpha": 0.6, "gamma": 0.5},
        id="gamma0.5",
        native=(_OPTAX_FOCAL,),
    ),
    Case(
        "sigmoid_focal",
        ref_sigmoid_focal,
        kwargs={"gamma": 0.0},
        id="gamma0",
        native=(_OPTAX_FOCAL,),
    ),
    Case(
        "sigmoid_focal",
        ref_sigmoid_focal,
        _soft,
        kwargs={"gamma": 1.5},
        id="soft-target",
        native=(_OPTAX_FOCAL,),
    ),
    Case(
        "sigmoid_focal",
        ref_sigmoid_focal,
        _extreme_logits,
        kwargs={"gamma": 0.5},
        id="logits-1e4",
        half=False,
        native=(_OPTAX_FOCAL,),
    ),
    Case(
        "sigmoid_focal",
        ref_sigmoid_focal,
        lambda r: (
            np.array([[30.0, -30.0, 40.0], [-40.0, 25.0, -25.0]]),
            np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
        ),
        kwargs={"gamma": 0.5},
        id="saturated-right",
        half=False,
        native=(_OPTAX_FOCAL,),
    ),
    # binary_focal
    Case("binary_focal", ref_binary_focal),
    Case(
        "binary_focal",
        ref_binary_focal,
        kwargs={"gamma": 0.5, "pos_weight": 2.0},
        id="gamma0.5-pos_weight",
    ),
    Case(
        "binary_focal",
        ref_binary_focal,
        kwargs={"label_smoothing": 0.1, "gamma": 3.0},
        id="label_smoothing",
    ),
    Case(
        "binary_focal",
        ref_binary_focal,
        kwargs={"label_smoothing": 0.0, "gamma": 0.0},
        id="gamma0-ls0",
    ),
    Case(
        "binary_focal",
        ref_binary_focal,
        _probs_at_edges,
        kwargs={"gamma": 0.5},
        id="prob-0-1",
        grad=False,
        half=False,
    ),
    # hinge / squared_hinge / soft_margin (elementwise, targets ±1)
    Case("hinge", ref_hinge, native=(_keras("Hinge"),)),
    Case("hinge", ref_hinge, _scores(2, 3, 4), id="3d", native=(_keras("Hinge"),)),
    Case("squared_hinge", ref_squared_hinge, native=(_keras("SquaredHinge"),)),
    Case(
        "squared_hinge",
        ref_squared_hinge,
        _scores(2, 3, 4),
        id="3d",
        native=(_keras("SquaredHinge"),),
    ),
    Case("soft_margin", ref_soft_margin, native=(torch_native("soft_margin_loss"),)),
    Case(
        "soft_margin",
        ref_soft_margin,
        _scores(2, 3, 4),
        id="3d",
        native=(torch_native("soft_margin_loss"),),
    ),
    # torch's literal log1p(exp(-ys)) overflows here: no native
    Case("soft_margin", ref_soft_margin, _extreme_scores, id="scores-1e4", half=False),
    # categorical_hinge (per sample)
    Case(
        "categorical_hinge",
        ref_categorical_hinge,
        native=(_keras("CategoricalHinge", per_sample=True),),
    ),
    Case(
        "categorical_hinge",
        ref_categorical_hinge,
        _one_hot_axis1,
        kwargs={"axis": 1},
        id="axis1",
        native=(_keras("CategoricalHinge", per_sample=True),),
    ),
    Case(
        "categorical_hinge",
        ref_categorical_hinge,
        _one_hot_negative,
        id="all-negative",
        native=(_keras("CategoricalHinge", per_sample=True),),
    ),
    # multi_margin (class indices, per sample)
    Case("multi_margin", ref_multi_margin, native=(_torch_multi_margin(),)),
    Case(
        "multi_margin",
        ref_multi_margin,
        kwargs={"p": 2, "margin": 0.5, "weight": _W5},
        id="p2-weight",
        native=(_torch_multi_margin(),),
    ),
    Case(
        "multi_margin",
        ref_multi_margin,
        _indices(7, classes=4),
        kwargs={"margin": 0.0},
        id="margin0",
        native=(_torch_multi_margin(),),
    ),
    Case(
        "multi_margin",
        ref_multi_margin,
        _indices_axis1,
        kwargs={"axis": 1, "p": 2, "weight": _W5},
        id="axis1",
        native=(_torch_multi_margin(),),
    ),
    # multilabel_soft_margin (per sample)
    Case("multilabel_soft_margin", ref_multilabel_soft_margin, native=(_torch_multilabel(),)),
    Case(
        "multilabel_soft_margin",
        ref_multilabel_soft_margin,
        kwargs={"weight": _W5},
        id="weight",
        native=(_torch_multilabel(),),
    ),
    Case(
        "multilabel_soft_margin",
        ref_multilabel_soft_margin,
        _multi_hot_axis1,
        kwargs={"axis": 1, "weight": np.array([0.5, 1.0, 2.0, 1.5])},
        id="axis1",
        native=(_torch_multilabel(),),
    ),
    Case(
        "multilabel_soft_margin",
        ref_multilabel_soft_margin,
        _extreme_logits,
        id="logits-1e4",
        half=False,
        native=(_torch_multilabel(),),
    ),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "sigmoid_focal": [{"gamma": -1.0}, {"alpha": 1.5}, {"alpha": -0.1}],
    "binary_focal": [
        {"gamma": -0.5},
        {"pos_weight": 0.0},
        {"pos_weight": -1.0},
        {"pos_weight": np.ones(3)},
        {"label_smoothing": 1.5},
        {"label_smoothing": -0.1},
    ],
    "multi_margin": [
        {"p": 3},
        {"p": 1.5},
        {"p": 0},
        {"margin": -1.0},
        {"axis": True},
        {"weight": "heavy"},
    ],
    "categorical_hinge": [{"axis": "0"}, {"axis": None}, {"axis": 1.0}, {"axis": True}],
    "multilabel_soft_margin": [{"axis": None}, {"weight": 2.0}, {"weight": [1.0, "a"]}],
    "binary_cross_entropy": [{"weight": "w"}, {"weight": True}],
    "binary_cross_entropy_with_logits": [{"weight": {1: 2}}, {"pos_weight": "p"}],
}


# arguments whose values are checked on eager arrays (tests/test_errors.py)
DOMAINS: dict[str, list[Domain]] = {
    "binary_cross_entropy": [Domain(0, "pred"), Domain(1, "target")],
    "binary_focal": [Domain(0, "pred"), Domain(1, "target")],
}
