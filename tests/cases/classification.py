"""Classification family (multiclass / softmax part): float64 NumPy references from the
formulas, natives from torch.nn.functional, Optax and Keras."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.cases import Case, Domain, Native, reduce_ref, reduced, simplex, torch_tensor

# --- independent float64 references ---------------------------------------------------


def _log_softmax(x: Any) -> Any:
    """Log-softmax along the last axis (max-shifted; a -inf entry stays -inf)."""
    m = np.max(x, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        z = x - m
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _log1m_softmax(log_p: Any) -> Any:
    """log(1 - p_c) = logsumexp of every other class's log-probability (O(C²), exact)."""
    c = log_p.shape[-1]
    out = np.empty_like(log_p)
    for k in range(c):
        others = np.delete(log_p, k, axis=-1)
        m = np.max(others, axis=-1)
        m = np.where(np.isfinite(m), m, 0.0)
        with np.errstate(divide="ignore"):
            out[..., k] = m + np.log(np.sum(np.exp(others - m[..., None]), axis=-1))
    return out


def _tlog(t: Any, log_q: Any) -> Any:
    """t · log q with 0 wherever t is 0 (also where log q is -inf)."""
    with np.errstate(invalid="ignore"):
        return np.where(t == 0, 0.0, t * log_q)


def _mean_by(loss: Any, denom: float, reduction: str) -> Any:
    if reduction != "mean":
        return reduce_ref(loss, reduction)
    return np.asarray(loss.sum() / denom if denom != 0 else 0.0)


def _pick(a: Any, labels: Any) -> Any:
    return np.take_along_axis(a, labels[..., None], axis=-1)[..., 0]


def ref_cross_entropy(
    x: Any,
    t: Any,
    reduction: str = "mean",
    axis: int = -1,
    weight: Any = None,
    ignore_index: Any = None,
    label_smoothing: float = 0.0,
) -> Any:
    x = np.moveaxis(x, axis, -1)
    c = x.shape[-1]
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    log_p = _log_softmax(x)
    eps = label_smoothing
    if np.issubdtype(t.dtype, np.floating):
        ts = (1 - eps) * np.moveaxis(t, axis, -1) + eps / c
        return reduce_ref(-np.sum(w * _tlog(ts, log_p), axis=-1), reduction)
    keep = np.ones(t.shape, bool) if ignore_index is None else t != ignore_index
    y = np.where(keep, t, 0)
    wy = w[y] * keep
    smooth = -np.sum(w * log_p, axis=-1) if eps else 0.0
    loss = np.where(keep, (1 - eps) * wy * -_pick(log_p, y) + eps / c * smooth, 0.0)
    return _mean_by(loss, wy.sum(), reduction)


def ref_nll(
    logp: Any,
    t: Any,
    reduction: str = "mean",
    axis: int = -1,
    weight: Any = None,
    ignore_index: Any = None,
) -> Any:
    logp = np.moveaxis(logp, axis, -1)
    w = np.ones(logp.shape[-1]) if weight is None else np.asarray(weight, dtype=np.float64)
    keep = np.ones(t.shape, bool) if ignore_index is None else t != ignore_index
    y = np.where(keep, t, 0)
    wy = w[y] * keep
    return _mean_by(-wy * _pick(logp, y), wy.sum(), reduction)


def ref_categorical_cross_entropy(
    p: Any,
    t: Any,
    reduction: str = "mean",
    axis: int = -1,
    eps: float = 1e-7,
    label_smoothing: float = 0.0,
) -> Any:
    p, t = np.moveaxis(p, axis, -1), np.moveaxis(t, axis, -1)
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    q = np.clip(p / p.sum(-1, keepdims=True), eps, 1 - eps)
    return reduce_ref(-np.sum(t * np.log(q), axis=-1), reduction)


def ref_softmax_focal(
    x: Any,
    t: Any,
    reduction: str = "mean",
    axis: int = -1,
    gamma: float = 2.0,
    alpha: Any = None,
    weight: Any = None,
    ignore_index: Any = None,
) -> Any:
    x = np.moveaxis(x, axis, -1)
    c = x.shape[-1]
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    a = 1.0 if alpha is None else alpha
    log_p = _log_softmax(x)
    with np.errstate(invalid="ignore"):
        factor = np.exp(gamma * _log1m_softmax(log_p)) if gamma else np.ones_like(log_p)
    if np.issubdtype(t.dtype, np.floating):
        t = np.moveaxis(t, axis, -1)
        return reduce_ref(-a * np.sum(w * factor * _tlog(t, log_p), axis=-1), reduction)
    keep = np.ones(t.shape, bool) if ignore_index is None else t != ignore_index
    y = np.where(keep, t, 0)
    wy = w[y] * keep
    loss = np.where(keep, -a * wy * _pick(factor, y) * _pick(log_p, y), 0.0)
    if weight is None and ignore_index is None:
        return reduce_ref(loss, reduction)
    return _mean_by(loss, wy.sum(), reduction)


def ref_focal_as_ce(
    x: Any, t: Any, reduction: str = "mean", gamma: float = 0.0, **kwargs: Any
) -> Any:
    """At gamma = 0 (no alpha) the focal loss is the cross-entropy."""
    assert gamma == 0
    return ref_cross_entropy(x, t, reduction, **kwargs)


def ref_poly1_cross_entropy(
    x: Any,
    t: Any,
    reduction: str = "mean",
    axis: int = -1,
    epsilon: float = 2.0,
    label_smoothing: float = 0.0,
) -> Any:
    x = np.moveaxis(x, axis, -1)
    c = x.shape[-1]
    t = np.eye(c)[t] if not np.issubdtype(t.dtype, np.floating) else np.moveaxis(t, axis, -1)
    t = (1 - label_smoothing) * t + label_smoothing / c
    log_p = _log_softmax(x)
    ce = -np.sum(_tlog(t, log_p), axis=-1)
    return reduce_ref(ce + epsilon * np.sum(t * (1 - np.exp(log_p)), axis=-1), reduction)


# --- native references -------------------------------------------------------------------


def _torch_ce(fname: str = "cross_entropy", drop: tuple[str, ...] = ()) -> Native:
    """``F.cross_entropy`` / ``F.nll_loss``, the class axis moved to torch's dim 1."""

    def fn(
        x: Any,
        t: Any,
        reduction: str = "mean",
        axis: int = -1,
        weight: Any = None,
        ignore_index: Any = None,
        **kw: Any,
    ) -> Any:
        import torch.nn.functional as F

        for k in drop:
            kw.pop(k, None)
        xt = torch_tensor(np.moveaxis(x, axis, 1) if x.ndim > 1 else x)
        if np.issubdtype(t.dtype, np.floating):
            t = np.moveaxis(t, axis, 1) if t.ndim > 1 else t
        extra = {} if ignore_index is None else {"ignore_index": ignore_index}
        w = None if weight is None else torch_tensor(np.asarray(weight, dtype=np.float64))
        return getattr(F, fname)(xt, torch_tensor(t), weight=w, reduction=reduction, **extra, **kw)

    return Native(f"torch.nn.functional.{fname}", fn, ("torch",))


def _optax_ce() -> Native:
    """``optax.softmax_cross_entropy(_with_integer_labels)`` (labels smoothed by Optax)."""

    def fn(
        x: Any, t: Any, reduction: str = "mean", axis: int = -1, label_smoothing: float = 0.0
    ) -> Any:
        import jax

        jax.config.update("jax_enable_x64", True)
        import optax

        if np.issubdtype(t.dtype, np.floating):
            if label_smoothing:
                t = np.moveaxis(
                    optax.smooth_labels(np.moveaxis(t, axis, -1), label_smoothing), -1, axis
                )
            return reduced(optax.softmax_cross_entropy(x, t, axis=axis), reduction)
        if label_smoothing:
            one_hot = np.moveaxis(np.eye(x.shape[axis])[t], -1, axis)
            return fn(x, one_hot, reduction, axis, label_smoothing)
        return reduced(optax.softmax_cross_entropy_with_integer_labels(x, t, axis=axis), reduction)

    return Native("optax.softmax_cross_entropy", fn, ("optax", "jax"))


def _optax_safe_ce() -> Native:
    def fn(x: Any, t: Any, reduction: str = "mean") -> Any:
        import jax

        jax.config.update("jax_enable_x64", True)
        import optax

        return reduced(optax.losses.safe_softmax_cross_entropy(x, t), reduction)

    return Native("optax.safe_softmax_cross_entropy", fn, ("optax", "jax"))


def _optax_poly() -> Native:
    def fn(
        x: Any,
        t: Any,
        reduction: str = "mean",
        axis: int = -1,
        epsilon: float = 2.0,
        label_smoothing: float = 0.0,
    ) -> Any:
        import jax

        jax.config.update("jax_enable_x64", True)
        import optax

        if not np.issubdtype(t.dtype, np.floating):
            t = np.moveaxis(np.eye(x.shape[axis])[t], -1, axis)
        if label_smoothing:
            t = np.moveaxis(
                optax.smooth_labels(np.moveaxis(t, axis, -1), label_smoothing), -1, axis
            )
        return reduced(
            optax.losses.poly_loss_cross_entropy(x, t, epsilon=epsilon, axis=axis), reduction
        )

    return Native("optax.poly_loss_cross_entropy", fn, ("optax", "jax"))


def _keras(cls: str, **fixed: Any) -> Native:
    """A Keras loss class (JAX backend, float64); integer labels become one-hot.

    For the focal loss, anyloss's ``alpha=None`` (no weighting) is Keras's ``alpha=1``.
    """

    def fn(p: Any, t: Any, reduction: str = "mean", **kw: Any) -> Any:
        from tests.cases._keras import KERAS_REDUCTION, keras

        if not np.issubdtype(t.dtype, np.floating):
            t = np.eye(p.shape[-1])[t]
        if "Focal" in cls and kw.get("alpha") is None:
            kw["alpha"] = 1.0
        loss = getattr(keras().losses, cls)(reduction=KERAS_REDUCTION[reduction], **fixed, **kw)
        return keras().ops.convert_to_numpy(loss(t, p))

    return Native(f"keras.losses.{cls}", fn, ("keras", "jax"))


TORCH_CE, OPTAX_CE, TORCH_NLL = _torch_ce(), _optax_ce(), _torch_ce("nll_loss")

# --- inputs ---------------------------------------------------------------------------------


def _logits_probs(shape: tuple[int, ...] = (6, 5), axis: int = -1) -> Any:
    return lambda r: (2 * r.standard_normal(shape), simplex(r, shape, axis))


def _logits_labels(shape: tuple[int, ...] = (6, 5), axis: int = -1, scale: float = 2.0) -> Any:
    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        labels_shape = shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]
        return (
            scale * rng.standard_normal(shape),
            rng.integers(0, shape[axis], labels_shape, dtype=np.int64),
        )

    return make


def _labels_with(value: int, at: tuple[int, ...] = (1, 4)) -> Any:
    """(8, 5) logits, labels with ``value`` at rows ``at``."""

    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        x, y = _logits_labels((8, 5))(rng)
        y[list(at)] = value
        return x, y

    return make


def _saturated_labels(rng: np.random.Generator) -> tuple[Any, ...]:
    """Logits of ±1e4 (and 0); labels hit the largest, the smallest and a middle logit.

    One largest logit per row: a tie at 1e4 puts log 2 next to 1e4, below half
    precision's resolution there, and curves the loss too sharply for the
    finite-difference step (1e-2 at 1e4).
    """
    x = 1e4 * rng.choice([-1.0, 0.0], (6, 5))
    x[:, 0] = 1e4
    return x, np.array([0, 1, 2, 3, 4, 0])


def _saturated_signs(rng: np.random.Generator) -> tuple[Any, ...]:
    """Logits of exactly ±1e4, one +1e4 per row (finite-difference steps of 1e-2 everywhere)."""
    x = np.full((6, 5), -1e4)
    x[np.arange(6), [0, 0, 1, 2, 3, 0]] = 1e4
    return x, np.array([0, 1, 1, 3, 4, 0])


def _saturated_onehot(rng: np.random.Generator) -> tuple[Any, ...]:
    x, y = _saturated_labels(rng)
    return x, np.eye(5)[y]


def _offset(make: Any) -> Any:
    """Logits shifted by 1e4: the loss (O(1)) must keep its digits in float32."""

    def shifted(rng: np.random.Generator) -> tuple[Any, ...]:
        x, t = make(rng)
        return 1e4 + x, t

    return shifted


def _masked_vocabulary(rng: np.random.Generator) -> tuple[Any, ...]:
    """-inf logits in classes whose target probability is 0."""
    x = rng.standard_normal((6, 5))
    t = simplex(rng, (6, 5))
    x[:, 3] = -np.inf
    t[:, 3] = 0.0
    x[0, 1] = -np.inf
    t[0, 1] = 0.0
    return x, t / t.sum(-1, keepdims=True)


def _masked_vocabulary_labels(rng: np.random.Generator) -> tuple[Any, ...]:
    x, _ = _masked_vocabulary(rng)
    return x, np.array([0, 1, 2, 4, 0, 2])


def _masked_vocabulary_onehot(rng: np.random.Generator) -> tuple[Any, ...]:
    x, y = _masked_vocabulary_labels(rng)
    return x, np.eye(5)[y]


def _onehot_probs(rng: np.random.Generator) -> tuple[Any, ...]:
    """Soft target against predicted probabilities that are exactly one-hot (0s and 1s)."""
    y = rng.integers(0, 5, 6)
    return np.eye(5)[y], simplex(rng, (6, 5))


_W5 = np.array([0.5, 2.0, 1.0, 0.25, 1.5])
_W4 = np.array([1.0, 0.3, 2.0, 0.7])

# --- cases ------------------------------------------------------------------------------

CROSS_ENTROPY = [
    Case("cross_entropy", ref_cross_entropy, native=(TORCH_CE, OPTAX_CE)),
    Case(
        "cross_entropy", ref_cross_entropy, _logits_probs(), id="probs", native=(TORCH_CE, OPTAX_CE)
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _logits_labels((2, 4, 3, 3), axis=1),
        {"axis": 1},
        id="channels-first",
        native=(TORCH_CE, OPTAX_CE),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _logits_probs((2, 4, 3, 3), axis=1),
        {"axis": 1},
        id="channels-first-probs",
        native=(TORCH_CE, OPTAX_CE),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _logits_labels((2, 3, 4)),
        id="3d",
        native=(TORCH_CE, OPTAX_CE),
    ),
    Case(
        "cross_entropy", ref_cross_entropy, kwargs={"weight": _W5}, id="weight", native=(TORCH_CE,)
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _labels_with(2),
        {"ignore_index": 2},
        id="ignore",
        native=(TORCH_CE,),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _labels_with(-100),
        {"ignore_index": -100},
        id="ignore-100",
        native=(TORCH_CE,),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        kwargs={"label_smoothing": 0.1},
        id="smoothing",
        native=(TORCH_CE, OPTAX_CE),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _labels_with(3),
        {"weight": _W5, "ignore_index": 3, "label_smoothing": 0.3},
        id="weight-ignore-smoothing",
        native=(TORCH_CE,),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _logits_labels((2, 4, 3, 3), axis=1),
        {"axis": 1, "weight": _W4, "ignore_index": 0, "label_smoothing": 0.2},
        id="channels-first-weight-ignore-smoothing",
        native=(TORCH_CE,),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _logits_probs(),
        {"weight": _W5, "label_smoothing": 0.25},
        id="probs-weight-smoothing",
        native=(TORCH_CE,),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _logits_probs(),
        {"label_smoothing": 1.0},
        id="probs-smoothing1",
        native=(TORCH_CE, OPTAX_CE),
    ),
    # every label ignored: "mean" is 0 (torch gives NaN), the gradient 0
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _labels_with(-1, at=tuple(range(8))),
        {"ignore_index": -1, "weight": _W5},
        id="all-ignored",
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _labels_with(-1, at=tuple(range(8))),
        {"ignore_index": -1},
        id="all-ignored-unweighted",
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _saturated_labels,
        id="saturated",
        native=(TORCH_CE, OPTAX_CE),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _saturated_onehot,
        id="saturated-probs",
        native=(TORCH_CE, OPTAX_CE),
    ),
    # logits near 1e4 (float32 spacing 1e-3 there): computed as (x - max) - log Σ, never
    # rounded at the logits' scale. Finite differences step 1e-2 there: too coarse (grad off)
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _offset(_logits_labels()),
        id="offset",
        grad=False,
        native=(TORCH_CE, OPTAX_CE),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _offset(_logits_probs()),
        {"label_smoothing": 0.1},
        id="offset-probs",
        grad=False,
        native=(TORCH_CE, OPTAX_CE),
    ),
    # the smoothing term is ~1e4 per sample: their float16 sum overflows, so no half here
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _saturated_signs,
        {"label_smoothing": 0.1, "weight": _W5},
        id="saturated-smoothing",
        half=False,
        native=(TORCH_CE,),
    ),
    # -inf logits where the target is 0 (masked vocabulary): finite value and gradient
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _masked_vocabulary,
        id="masked-vocabulary",
        grad=False,
        native=(_optax_safe_ce(),),
    ),
    Case(
        "cross_entropy",
        ref_cross_entropy,
        _masked_vocabulary_labels,
        id="masked-vocabulary-labels",
        grad=False,
        native=(TORCH_CE, OPTAX_CE),
    ),
]

NLL = [
    Case("nll", ref_nll, native=(TORCH_NLL,)),
    Case(
        "nll",
        ref_nll,
        _labels_with(1),
        {"weight": _W5, "ignore_index": 1},
        id="weight-ignore",
        native=(TORCH_NLL,),
    ),
    Case(
        "nll",
        ref_nll,
        _logits_labels((2, 4, 3, 3), axis=1),
        {"axis": 1, "weight": _W4},
        id="channels-first-weight",
        native=(TORCH_NLL,),
    ),
    Case(
        "nll", ref_nll, _labels_with(7, at=tuple(range(8))), {"ignore_index": 7}, id="all-ignored"
    ),
]

CATEGORICAL_CROSS_ENTROPY = [
    Case(
        "categorical_cross_entropy",
        ref_categorical_cross_entropy,
        native=(_keras("CategoricalCrossentropy"),),
    ),
    Case(
        "categorical_cross_entropy",
        ref_categorical_cross_entropy,
        lambda r: (simplex(r, (6, 5)), np.eye(5)[r.integers(0, 5, 6)]),
        {"label_smoothing": 0.2},
        id="onehot-smoothing",
        native=(_keras("CategoricalCrossentropy"),),
    ),
    Case(
        "categorical_cross_entropy",
        ref_categorical_cross_entropy,
        lambda r: (simplex(r, (4, 5, 3), axis=1), simplex(r, (4, 5, 3), axis=1)),
        {"axis": 1},
        id="axis1",
        native=(_keras("CategoricalCrossentropy"),),
    ),
    Case(
        "categorical_cross_entropy",
        ref_categorical_cross_entropy,
        lambda r: (3 * simplex(r, (6, 5)), simplex(r, (6, 5))),
        {"eps": 1e-3},
        id="unnormalised-eps",
    ),
    # predicted probabilities exactly 0 and 1: clipped, finite (the clip is a kink)
    Case(
        "categorical_cross_entropy",
        ref_categorical_cross_entropy,
        _onehot_probs,
        id="clipped",
        grad=False,
        half=False,
        native=(_keras("CategoricalCrossentropy"),),
    ),
]

_KERAS_FOCAL = _keras("CategoricalFocalCrossentropy", from_logits=True)
_TORCH_CE_NO_GAMMA = _torch_ce(drop=("gamma",))

SOFTMAX_FOCAL = [
    Case("softmax_focal", ref_softmax_focal, native=(_KERAS_FOCAL,)),
    Case(
        "softmax_focal",
        ref_softmax_focal,
        lambda r: (2 * r.standard_normal((6, 5)), np.eye(5)[r.integers(0, 5, 6)]),
        {"gamma": 0.5, "alpha": 0.25},
        id="onehot-gamma0.5",
        native=(_KERAS_FOCAL,),
    ),
    Case(
        "softmax_focal",
        ref_softmax_focal,
        _logits_probs(),
        {"gamma": 1.5},
        id="probs",
        native=(_KERAS_FOCAL,),
    ),
    Case(
        "softmax_focal",
        ref_softmax_focal,
        _labels_with(4),
        {"weight": _W5, "ignore_index": 4, "gamma": 3.0},
        id="weight-ignore",
    ),
    Case("softmax_focal", ref_softmax_focal, _logits_probs(), {"weight": _W5}, id="probs-weight"),
    Case(
        "softmax_focal",
        ref_softmax_focal,
        _logits_labels((2, 4, 3, 3), axis=1),
        {"axis": 1, "gamma": 0.5},
        id="channels-first",
    ),
    Case(
        "softmax_focal",
        ref_softmax_focal,
        _labels_with(0, at=tuple(range(8))),
        {"ignore_index": 0},
        id="all-ignored",
    ),
    # gamma = 0 is cross_entropy, also at saturated logits (checked against torch's CE)
    Case(
        "softmax_focal",
        ref_focal_as_ce,
        _saturated_labels,
        {"gamma": 0.0},
        id="gamma0-is-ce",
        native=(_TORCH_CE_NO_GAMMA,),
    ),
    Case(
        "softmax_focal",
        ref_softmax_focal,
        _saturated_labels,
        {"gamma": 0.5},
        id="saturated-gamma0.5",
    ),
    Case(
        "softmax_focal", ref_softmax_focal, _saturated_onehot, {"gamma": 0.5}, id="saturated-onehot"
    ),
    Case(
        "softmax_focal",
        ref_softmax_focal,
        _offset(_logits_labels()),
        {"gamma": 0.5},
        id="offset",
        grad=False,
    ),
    # logits large enough that p rounds to exactly 1 (1 - p ~ e^-40): (1-p)^γ in log space
    Case(
        "softmax_focal",
        ref_softmax_focal,
        lambda r: (
            np.array([[40.0, 0.0, -1.0], [0.3, 0.1, 0.2], [-40.0, 0.0, 40.0]]),
            np.array([0, 2, 2]),
        ),
        {"gamma": 0.25},
        id="p-rounds-to-1",
        half=False,
    ),
    Case(
        "softmax_focal",
        ref_softmax_focal,
        _masked_vocabulary_onehot,
        {"gamma": 0.5},
        id="masked-vocabulary",
        grad=False,
    ),
    Case(
        "softmax_focal",
        ref_softmax_focal,
        _masked_vocabulary_labels,
        id="masked-vocabulary-labels",
        grad=False,
    ),
]

_OPTAX_POLY = _optax_poly()

POLY1 = [
    Case("poly1_cross_entropy", ref_poly1_cross_entropy, native=(_OPTAX_POLY,)),
    Case(
        "poly1_cross_entropy",
        ref_poly1_cross_entropy,
        _logits_probs(),
        {"epsilon": -1.0},
        id="probs-eps-1",
        native=(_OPTAX_POLY,),
    ),
    Case(
        "poly1_cross_entropy",
        ref_poly1_cross_entropy,
        kwargs={"label_smoothing": 0.1},
        id="smoothing",
        native=(_OPTAX_POLY,),
    ),
    Case(
        "poly1_cross_entropy",
        ref_poly1_cross_entropy,
        _logits_probs((2, 4, 3), axis=1),
        {"axis": 1, "label_smoothing": 0.2, "epsilon": 0.5},
        id="axis1-probs-smoothing",
        native=(_OPTAX_POLY,),
    ),
    Case(
        "poly1_cross_entropy",
        ref_poly1_cross_entropy,
        _logits_labels((2, 4, 3), axis=1),
        {"axis": 1},
        id="axis1",
        native=(_OPTAX_POLY,),
    ),
    Case(
        "poly1_cross_entropy",
        ref_poly1_cross_entropy,
        _saturated_labels,
        id="saturated",
        native=(_OPTAX_POLY,),
    ),
    Case(
        "poly1_cross_entropy",
        ref_poly1_cross_entropy,
        _offset(_logits_labels()),
        id="offset",
        grad=False,
        native=(_OPTAX_POLY,),
    ),
    Case(
        "poly1_cross_entropy", ref_poly1_cross_entropy, _masked_vocabulary, id="masked", grad=False
    ),
]

CASES: list[Case] = [
    *CROSS_ENTROPY,
    *NLL,
    *CATEGORICAL_CROSS_ENTROPY,
    *SOFTMAX_FOCAL,
    *POLY1,
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "cross_entropy": [
        {"label_smoothing": -0.1},
        {"label_smoothing": 1.5},
        {"ignore_index": 1.5},
        {"axis": 1.0},
    ],
    "nll": [{"ignore_index": "x"}, {"axis": None}],
    "categorical_cross_entropy": [
        {"eps": 0.0},
        {"eps": 0.5},
        {"eps": -1e-7},
        {"label_smoothing": 2.0},
        {"axis": "last"},
    ],
    "softmax_focal": [{"gamma": -1.0}, {"alpha": -0.5}, {"ignore_index": 2.5}, {"axis": 0.5}],
    "poly1_cross_entropy": [{"epsilon": -2.0}, {"label_smoothing": -0.5}, {"axis": (0, 1)}],
}
for _name, _bad_weight in (("cross_entropy", 1.0), ("nll", "w"), ("softmax_focal", True)):
    INVALID[_name] = [*INVALID[_name], {"weight": _bad_weight}]


# arguments whose values are checked on eager arrays (tests/test_errors.py); probs are
# renormalised (Keras), so any non-negative scale is allowed: only a negative one is bad
DOMAINS: dict[str, list[Domain]] = {
    "categorical_cross_entropy": [Domain(0, "probs", bad=(-0.1,)), Domain(1, "target")],
}
