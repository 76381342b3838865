"""Regression cases: references written from the formulas; torch/sklearn/Keras/Optax natives."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tests.cases import (
    KERAS_TOLERANCE,
    KERAS_WHY,
    Case,
    Native,
    elementwise,
    optax_native,
    torch_native,
)

# --- independent float64 references ---------------------------------------------------


@elementwise
def ref_mse(p: Any, t: Any) -> Any:
    return (p - t) ** 2


@elementwise
def ref_mae(p: Any, t: Any) -> Any:
    return np.abs(p - t)


@elementwise
def ref_huber(p: Any, t: Any, delta: float = 1.0) -> Any:
    x = np.abs(p - t)
    return np.where(x < delta, 0.5 * x**2, delta * (x - 0.5 * delta))


@elementwise
def ref_smooth_l1(p: Any, t: Any, beta: float = 1.0) -> Any:
    x = np.abs(p - t)
    if beta == 0:
        return x
    return np.where(x < beta, 0.5 * x**2 / beta, x - 0.5 * beta)


@elementwise
def ref_log_cosh(p: Any, t: Any) -> Any:
    # log(cosh x) = logaddexp(x, -x) - log 2, written independently of anyloss's form
    x = p - t
    return np.logaddexp(x, -x) - math.log(2)


@elementwise
def ref_msle(p: Any, t: Any) -> Any:
    eps = 1e-7
    return (np.log(np.maximum(p, eps) + 1.0) - np.log(np.maximum(t, eps) + 1.0)) ** 2


@elementwise
def ref_mape(p: Any, t: Any) -> Any:
    return 100.0 * np.abs((t - p) / np.maximum(np.abs(t), 1e-7))


@elementwise
def ref_quantile(p: Any, t: Any, q: float = 0.5) -> Any:
    d = t - p
    return np.where(d >= 0, q * d, (q - 1) * d)


@elementwise
def ref_poisson_nll(
    p: Any, t: Any, log_input: bool = True, full: bool = False, eps: float = 1e-8
) -> Any:
    out = np.exp(p) - t * p if log_input else p - t * np.log(p + eps)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            st = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
        out = out + np.where(t > 1, st, 0.0)
    return out


@elementwise
def ref_gaussian_nll(p: Any, t: Any, var: Any, full: bool = False, eps: float = 1e-6) -> Any:
    var = np.asarray(var, dtype=np.float64)
    if var.shape != p.shape and var.shape == p.shape[:-1]:
        var = var[..., None]
    v = np.maximum(var, eps)
    out = 0.5 * (np.log(v) + (p - t) ** 2 / v)
    return out + 0.5 * np.log(2 * np.pi) if full else out


@elementwise
def ref_tweedie_deviance(p: Any, t: Any, power: float = 1.5) -> Any:
    """sklearn's per-sample Tweedie deviance, written out."""
    if power == 0:
        return (t - p) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        if power == 1:
            return 2 * (np.where(t == 0, 0.0, t * np.log(t / p)) - t + p)
        if power == 2:
            return 2 * (np.log(p / t) + t / p - 1)
    # 40 digits (mpmath): the terms cancel where t ~ p (the "near" case) and as q nears 1
    import mpmath

    q = mpmath.mpf(power)

    def deviance(pi: float, ti: float) -> float:
        pm, tm = mpmath.mpf(pi), mpmath.mpf(ti)
        return float(
            2
            * (
                tm ** (2 - q) / ((1 - q) * (2 - q))
                - tm * pm ** (1 - q) / (1 - q)
                + pm ** (2 - q) / (2 - q)
            )
        )

    with mpmath.workdps(40):
        out = [deviance(float(a), float(b)) for a, b in zip(np.ravel(p), np.ravel(t), strict=True)]
    return np.reshape(np.array(out), np.shape(p))


# --- native references -------------------------------------------------------------------


def _sklearn(fname: str, **rename: str) -> Native:
    def fn(p: Any, t: Any, reduction: str = "mean", **kw: Any) -> Any:
        import sklearn.metrics

        kw = {rename.get(k, k): v for k, v in kw.items()}
        return getattr(sklearn.metrics, fname)(
            t.reshape(-1, t.shape[-1]), p.reshape(-1, p.shape[-1]), **kw
        )

    return Native(f"sklearn.metrics.{fname}", fn, ("sklearn",), reductions=("mean",))


def _sklearn_tweedie() -> Native:
    def fn(p: Any, t: Any, reduction: str = "mean", power: float = 1.5) -> Any:
        from sklearn.metrics import mean_tweedie_deviance

        return mean_tweedie_deviance(t.ravel(), p.ravel(), power=power)

    return Native("sklearn.metrics.mean_tweedie_deviance", fn, ("sklearn",), reductions=("mean",))


def _keras(cls: str) -> Native:
    def fn(p: Any, t: Any, reduction: str = "mean", **kw: Any) -> Any:
        from tests.cases._keras import keras

        return keras().ops.convert_to_numpy(getattr(keras().losses, cls)(**kw)(t, p))

    return Native(
        f"keras.losses.{cls}",
        fn,
        ("keras", "jax"),
        reductions=("mean",),
        tolerance=KERAS_TOLERANCE,
        why=KERAS_WHY,
    )


def _zero_residual(rng: np.random.Generator) -> tuple[Any, ...]:
    p = rng.standard_normal((4, 3))
    return p, p.copy()


def _large_residual(rng: np.random.Generator) -> tuple[Any, ...]:
    return 1e4 * rng.choice([-1.0, 1.0], (4, 3)), rng.standard_normal((4, 3))


def _edges(loss: str, ref: Any, kink_at_zero: bool, **kw: Any) -> list[Case]:
    return [
        Case(loss, ref, _zero_residual, kw, id="zero-residual", grad=not kink_at_zero),
        Case(loss, ref, _large_residual, kw, id="large-residual", half=False),
    ]


CASES: list[Case] = [
    Case("mse", ref_mse, native=(torch_native("mse_loss"), _sklearn("mean_squared_error"))),
    Case(
        "mse",
        ref_mse,
        lambda r: (r.standard_normal((2, 3, 4)), r.standard_normal((2, 3, 4))),
        id="3d",
    ),
    *_edges("mse", ref_mse, kink_at_zero=False),
    Case("mae", ref_mae, native=(torch_native("l1_loss"), _sklearn("mean_absolute_error"))),
    *_edges("mae", ref_mae, kink_at_zero=True),
    Case("huber", ref_huber, native=(torch_native("huber_loss"), _keras("Huber"))),
    Case(
        "huber",
        ref_huber,
        kwargs={"delta": 2.5},
        id="delta2.5",
        native=(torch_native("huber_loss"), _keras("Huber")),
    ),
    *_edges("huber", ref_huber, kink_at_zero=False, delta=0.7),
    Case("smooth_l1", ref_smooth_l1, native=(torch_native("smooth_l1_loss"),)),
    Case(
        "smooth_l1",
        ref_smooth_l1,
        kwargs={"beta": 1.0},
        id="beta1",
        native=(torch_native("smooth_l1_loss"),),
    ),
    Case(
        "smooth_l1",
        ref_smooth_l1,
        kwargs={"beta": 0.0},
        id="beta0",
        native=(torch_native("smooth_l1_loss"),),
    ),
    *_edges("smooth_l1", ref_smooth_l1, kink_at_zero=False),
    Case("log_cosh", ref_log_cosh, native=(optax_native("log_cosh"), _keras("LogCosh"))),
    *_edges("log_cosh", ref_log_cosh, kink_at_zero=False),
    Case("msle", ref_msle, native=(_keras("MeanSquaredLogarithmicError"),)),
    Case(
        "msle",
        ref_msle,
        lambda r: (r.uniform(-1, 3, (4, 3)), r.uniform(0, 3, (4, 3))),
        id="negative-pred",
        grad=False,
    ),
    Case("mape", ref_mape, native=(_keras("MeanAbsolutePercentageError"),)),
    Case(
        "mape",
        ref_mape,
        lambda r: (r.standard_normal((4, 3)), np.zeros((4, 3))),
        id="zero-target",
        half=False,
    ),
    Case("quantile", ref_quantile, native=(_sklearn("mean_pinball_loss", q="alpha"),)),
    Case(
        "quantile",
        ref_quantile,
        kwargs={"q": 0.9},
        id="q0.9",
        native=(_sklearn("mean_pinball_loss", q="alpha"),),
    ),
    *_edges("quantile", ref_quantile, kink_at_zero=True),
    Case("poisson_nll", ref_poisson_nll, native=(torch_native("poisson_nll_loss"),)),
    Case(
        "poisson_nll",
        ref_poisson_nll,
        kwargs={"full": True},
        id="full",
        native=(torch_native("poisson_nll_loss"),),
    ),
    Case(
        "poisson_nll",
        ref_poisson_nll,
        lambda r: (r.uniform(0.1, 3, (4, 3)), r.uniform(0, 4, (4, 3))),
        kwargs={"log_input": False, "full": True, "eps": 1e-4},
        id="rate-input",
        native=(torch_native("poisson_nll_loss"),),
    ),
    Case("gaussian_nll", ref_gaussian_nll, native=(torch_native("gaussian_nll_loss"),)),
    Case(
        "gaussian_nll",
        ref_gaussian_nll,
        lambda r: (r.standard_normal((5, 3)), r.standard_normal((5, 3)), r.uniform(0.1, 2, 5)),
        kwargs={"full": True},
        id="per-sample-var",
        native=(torch_native("gaussian_nll_loss"),),
    ),
    Case(
        "gaussian_nll",
        ref_gaussian_nll,
        lambda r: (r.standard_normal((5, 3)), r.standard_normal((5, 3)), r.uniform(0.1, 2, (5, 1))),
        id="column-var",
        native=(torch_native("gaussian_nll_loss"),),
    ),
    Case(
        "gaussian_nll",
        ref_gaussian_nll,
        lambda r: (
            r.standard_normal((5, 3)),
            r.standard_normal((5, 3)),
            np.concatenate([np.zeros(5)[:, None], r.uniform(0.1, 2, (5, 2))], 1),
        ),
        kwargs={"eps": 1e-3},
        id="var-below-eps",
        grad=False,
        half=False,
        native=(torch_native("gaussian_nll_loss"),),
    ),
]

_TWEEDIE = (_sklearn_tweedie(),)


def _positive(low: float = 0.2) -> Any:
    return lambda r: (r.uniform(0.2, 3.0, (4, 3)), r.uniform(low, 3.0, (4, 3)))


def _zero_targets(rng: np.random.Generator) -> tuple[Any, ...]:
    p, t = _positive()(rng)
    t[::2, 1] = 0.0
    return p, t


def _near_targets(rng: np.random.Generator) -> tuple[Any, ...]:
    p, t = _positive()(rng)
    t[:2] = p[:2] * (1 + rng.uniform(-1e-3, 1e-3, p[:2].shape))
    return p, t


CASES += [
    Case("tweedie_deviance", ref_tweedie_deviance, native=_TWEEDIE),
    # power 0 is the squared error: any real pred and target
    Case(
        "tweedie_deviance",
        ref_tweedie_deviance,
        lambda r: (r.standard_normal((4, 3)), r.standard_normal((4, 3))),
        {"power": 0},
        id="power0",
        native=_TWEEDIE,
    ),
    Case(
        "tweedie_deviance",
        ref_tweedie_deviance,
        _zero_targets,
        {"power": 1},
        id="power1-zero-target",
        native=_TWEEDIE,
    ),
    Case(
        "tweedie_deviance",
        ref_tweedie_deviance,
        _zero_targets,
        {"power": 1.5},
        id="power1.5-zero-target",
        native=_TWEEDIE,
    ),
    Case(
        "tweedie_deviance",
        ref_tweedie_deviance,
        _positive(),
        {"power": 2},
        id="power2",
        native=_TWEEDIE,
    ),
    Case(
        "tweedie_deviance",
        ref_tweedie_deviance,
        _positive(),
        {"power": 3},
        id="power3",
        native=_TWEEDIE,
    ),
    # near power 1 the formula as written cancels (3e-4 relative in float32 at 1.2), and
    # where target ~ pred its L terms cancel: float32 must still meet its tolerance
    Case(
        "tweedie_deviance",
        ref_tweedie_deviance,
        _near_targets,
        {"power": 1.2},
        id="power1.2-near",
        native=_TWEEDIE,
    ),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "huber": [{"delta": 0.0}, {"delta": -1.0}],
    "smooth_l1": [{"beta": -0.5}],
    "quantile": [{"q": -0.1}, {"q": 1.5}],
    "poisson_nll": [{"eps": -1.0}, {"log_input": "yes"}, {"full": 1}],
    "gaussian_nll": [{"eps": 0.0}, {"full": "no"}],
    "tweedie_deviance": [{"power": 0.5}, {"power": -1.0}, {"power": "1.5"}],
}
