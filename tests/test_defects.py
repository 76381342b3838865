"""Regression tests for the 16 defects of issue 10, each with the issue's own example.

The generic forms (every loss, by being registered) live in ``test_errors.py`` (bad
input), ``test_extreme.py`` (empty batches, NaN in) and ``test_properties.py`` (random
inputs); here each defect is pinned down where it was found.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import anyloss
from tests._backends import Backend

HALF_TOLERANCE = {"float16": 4e-3, "bfloat16": 3e-2}  # relative, vs the float32 result


def _arrays(backend: Backend, dtype: str, *values: Any) -> tuple[Any, ...]:
    return tuple(backend.asarray(np.asarray(v, dtype=np.float64), dtype) for v in values)


# --- extreme valid inputs ---------------------------------------------------------------


def test_1_ntxent_empty_batch(backend: Backend) -> None:
    e = backend.asarray(np.zeros((0, 4)), "float64")
    labels = backend.asarray(np.zeros(0, dtype=np.int64), "int64")
    assert float(backend.to_numpy(anyloss.ntxent(e, labels))) == 0.0
    assert backend.to_numpy(anyloss.ntxent(e, labels, reduction="none")).shape == (0,)


@pytest.mark.parametrize(
    "name", ["cross_entropy", "softmax_focal", "poly1_cross_entropy", "categorical_hinge"]
)
def test_2_class_axis_empty_batch(name: str, backend: Backend) -> None:
    """On dask these failed at compute time (dask's max of nothing)."""
    logits = backend.asarray(np.zeros((0, 5)), "float64")
    target = (
        logits
        if name == "categorical_hinge"
        else backend.asarray(np.zeros(0, dtype=np.int64), "int64")
    )
    fn = getattr(anyloss, name)
    assert float(backend.to_numpy(fn(logits, target))) == 0.0
    assert float(backend.to_numpy(fn(logits, target, reduction="sum"))) == 0.0
    assert backend.to_numpy(fn(logits, target, reduction="none")).shape == (0,)


@pytest.mark.parametrize("name", ["dice", "jaccard", "tversky", "focal_tversky"])
def test_3_tiny_smooth_on_empty_masks(name: str, backend: Backend) -> None:
    """smooth=1e-50 rounds to 0 in float32: the 0/0 guard must see the rounded value."""
    p, t = _arrays(backend, "float32", np.zeros(3), np.zeros(3))
    out = backend.to_numpy(getattr(anyloss, name)(p, t, smooth=1e-50))
    assert out == 0.0


def test_4_gaussian_nll_gradient_with_underflowing_eps(grad_backend: Backend) -> None:
    pred, target, var = _arrays(grad_backend, "float32", np.zeros(3), np.ones(3), np.zeros(3))

    def f(p: Any, v: Any) -> Any:
        return anyloss.gaussian_nll(p, target, v, eps=1e-30)

    _, grads = grad_backend.value_and_grad(f, [pred, var])
    assert all(np.all(np.isfinite(g)) for g in grads), grads
    np.testing.assert_array_equal(grads[1], 0.0)  # var below eps is clamped: no gradient


def test_4_tversky_gradient_with_underflowing_denominator(grad_backend: Backend) -> None:
    p, t = _arrays(grad_backend, "float32", np.full(3, 1e-30), np.ones(3))

    def f(x: Any) -> Any:
        return anyloss.tversky(x, t, alpha=0.0, beta=0.0, smooth=0.0)

    _, (g,) = grad_backend.value_and_grad(f, [p])
    np.testing.assert_array_equal(g, 0.0)  # the loss is 0 for every p: alpha = beta = 0


def test_4_dice_gradient_at_tiny_masks(grad_backend: Backend) -> None:
    """d/dp of 1 - 2Σpt/(Σp+Σt) at p = t = 1e-30 is -2t/(Σp+Σt) = -1/3 (no 0·inf)."""
    p, t = _arrays(grad_backend, "float32", np.full(3, 1e-30), np.full(3, 1e-30))
    _, (g,) = grad_backend.value_and_grad(lambda x: anyloss.dice(x, t, smooth=0.0), [p])
    np.testing.assert_allclose(g, -1 / 3, rtol=1e-5)


# --- bad inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, 0.0, 3, "x", [1.0, 2.0, 3.0]])
def test_5_non_array_argument(bad: Any) -> None:
    with pytest.raises(TypeError, match="'target'"):
        anyloss.mse(np.zeros(3), bad)
    with pytest.raises(TypeError, match="'target'"):
        anyloss.get("mse")(np.zeros(3), bad)  # the configured callable takes the same path


def test_6_complex_array() -> None:
    with pytest.raises(TypeError, match=r"'pred'.*complex"):
        anyloss.mse(np.array([1 + 1j, 2]), np.zeros(2))


def test_7_infinite_margin() -> None:
    with pytest.raises(ValueError, match="margin"):
        anyloss.margin_ranking(np.zeros(3), np.zeros(3), np.ones(3), margin=math.inf)


def test_8_array_smooth_is_not_broadcast() -> None:
    with pytest.raises(ValueError, match="smooth"):
        anyloss.dice(np.full(4, 0.5), np.ones(4), smooth=np.array([0.0, 1.0]))


def test_8_array_delta_names_itself(backend: Backend) -> None:
    p, t = _arrays(backend, "float32", np.zeros((2, 3)), np.ones((2, 3)))
    delta = backend.asarray(np.array([1.0, 2.0]), "float32")
    with pytest.raises(ValueError, match="delta"):
        anyloss.huber(p, t, delta=delta)


@pytest.mark.parametrize(
    "name", ["categorical_hinge", "cosine_similarity", "multi_margin", "multilabel_soft_margin"]
)
@pytest.mark.parametrize("axis", ["0", None, 1.0, True])
def test_9_axis_rule(name: str, axis: Any) -> None:
    target = np.zeros(4, dtype=np.int64) if name == "multi_margin" else np.ones((4, 3))
    with pytest.raises(ValueError, match="axis"):
        getattr(anyloss, name)(np.zeros((4, 3)), target, axis=axis)


def test_10_weight_type_and_lists() -> None:
    p, t = np.full((2, 3), 0.5), np.ones((2, 3))
    with pytest.raises(TypeError, match="weight"):
        anyloss.binary_cross_entropy(p, t, weight="w")
    with pytest.raises(TypeError, match="pos_weight"):
        anyloss.binary_cross_entropy_with_logits(p, t, pos_weight="w")
    w = [1.0, 2.0, 3.0]
    for name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        fn = getattr(anyloss, name)
        assert fn(p, t, weight=w) == fn(p, t, weight=np.array(w))
    assert anyloss.multilabel_soft_margin(p, t, weight=w) == anyloss.multilabel_soft_margin(
        p, t, weight=np.array(w)
    )
    labels = np.array([0, 2])
    assert anyloss.multi_margin(p, labels, weight=w) == anyloss.multi_margin(
        p, labels, weight=np.array(w)
    )


@pytest.mark.parametrize("dtype", ["int32", "int16", "uint8"])
def test_11_multi_margin_small_integer_labels(dtype: str, backend: Backend) -> None:
    scores = backend.asarray(np.array([[0.1, 0.7, 0.2], [0.3, 0.3, 0.9]]), "float64")
    labels = backend.asarray(np.array([1, 2]), "int64")
    narrow = backend.asarray(np.array([1, 2]), dtype)
    want = backend.to_numpy(anyloss.multi_margin(scores, labels))
    assert backend.to_numpy(anyloss.multi_margin(scores, narrow)) == want


def test_12_bce_nan_probability_gives_nan(backend: Backend) -> None:
    p, t = _arrays(backend, "float64", [math.nan, 0.5], [1.0, 1.0])
    out = backend.to_numpy(anyloss.binary_cross_entropy(p, t, reduction="none"))
    assert math.isnan(out[0])
    assert out[1] == pytest.approx(math.log(2))


# --- half precision --------------------------------------------------------------------------

HALF_CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("charbonnier", ([300.0], [0.0]), {}),
    ("pseudo_huber", ([300.0], [0.0]), {}),
    ("cauchy", ([300.0], [0.0]), {}),
    ("geman_mcclure", ([300.0], [0.0]), {}),
    ("gaussian_nll", ([300.0], [0.0], [1.0]), {}),
    ("mape", ([1000.0, 0.0], [2000.0, 0.0]), {}),  # 100·|t - p| overflowed; 0/0 at t = 0
    ("triplet_margin", ([[300.0, 0.0]], [[0.0, 300.0]], [[1.0, 1.0]]), {}),
    ("multi_margin", ([[200.0, -100.0, 0.0]], np.array([1])), {"p": 2}),
    ("cross_entropy", ([[300.0, -300.0, 0.0]], np.array([1])), {"label_smoothing": 0.1}),
    ("cross_entropy", ([[300.0, -300.0, 0.0]], [[0.2, 0.5, 0.3]]), {}),
    ("poly1_cross_entropy", ([[300.0, -300.0, 0.0]], np.array([1])), {"label_smoothing": 0.1}),
    ("msle", ([0.0, 1000.0], [1000.0, 0.0]), {}),  # defect 14: log1p(-1) was -inf
    ("poisson_nll", ([0.0, 0.0], [0.0, 1.0]), {"log_input": False}),  # 15: eps=1e-8 -> 0
    ("charbonnier", ([1e-3], [0.0]), {"scale": 1e-6}),  # 15: scale 1e-6 underflows
    ("pseudo_huber", ([1e-3], [0.0]), {"delta": 1e-6}),
    ("cosine_similarity", ([[300.0, 300.0]], [[1.0, 2.0]]), {}),  # Σx² overflows float16
    ("cosine_embedding", ([[300.0, 300.0]], [[1.0, 2.0]], [1.0]), {}),
]


def _half_inputs(backend: Backend, dtype: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
    out = []
    for v in values:
        a = np.asarray(v)
        kind = "int64" if np.issubdtype(a.dtype, np.integer) else dtype
        out.append(backend.asarray(a.astype(np.float64) if kind != "int64" else a, kind))
    return tuple(out)


@pytest.mark.parametrize(
    ("name", "values", "kwargs"),
    HALF_CASES,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(HALF_CASES)],
)
def test_13_to_15_half_precision_is_computed_in_float32(
    name: str, values: tuple[Any, ...], kwargs: dict[str, Any], half_backend: Backend
) -> None:
    fn = getattr(anyloss, name)
    want = backend_value(half_backend, fn, _half_inputs(half_backend, "float32", values), kwargs)
    for dtype in half_backend.half_dtypes:
        out = fn(*_half_inputs(half_backend, dtype, values), **kwargs)
        assert out.dtype == half_backend.dtype(dtype)
        got = half_backend.to_numpy(out)
        assert np.isfinite(got), f"{name} in {dtype}: {got}"
        configured = anyloss.get(name, **kwargs)(*_half_inputs(half_backend, dtype, values))
        assert half_backend.to_numpy(configured) == got
        np.testing.assert_allclose(got, want, rtol=HALF_TOLERANCE[dtype], atol=1e-6)


def backend_value(backend: Backend, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return backend.to_numpy(fn(*args, **kwargs))


@pytest.mark.parametrize(
    ("name", "values", "kwargs"),
    [
        ("smooth_l1", ([300.0, 0.0], [0.0, 0.0]), {"beta": 1e-6}),
        ("mape", ([1.0, 3.0], [1.0, 2.0]), {}),  # a zero residual
        ("charbonnier", ([300.0], [0.0]), {}),
    ],
)
def test_16_half_gradients_are_finite(
    name: str, values: tuple[Any, ...], kwargs: dict[str, Any], half_backend: Backend
) -> None:
    fn = getattr(anyloss, name)
    for dtype in half_backend.half_dtypes:
        p, t = _half_inputs(half_backend, dtype, values)
        _, (g,) = half_backend.value_and_grad(lambda x, t=t: fn(x, t, **kwargs), [p])
        assert np.all(np.isfinite(g)), f"{name} in {dtype}: gradient {g}"


# --- also noted: NaN in gives NaN out ------------------------------------------------------


def test_nan_is_not_swallowed(backend: Backend) -> None:
    nan_p, t = _arrays(backend, "float64", [math.nan, 0.5], [1.0, 0.0])
    assert math.isnan(float(backend.to_numpy(anyloss.focal_tversky(nan_p, t))))
    a, b, c = _arrays(backend, "float64", [[math.nan, 1.0]], [[0.0, 1.0]], [[1.0, 0.0]])
    assert math.isnan(float(backend.to_numpy(anyloss.triplet_margin(a, b, c))))
    (y,) = _arrays(backend, "float64", [1.0])
    assert math.isnan(float(backend.to_numpy(anyloss.cosine_embedding(a, b, y))))
    (y,) = _arrays(backend, "float64", [-1.0])
    assert math.isnan(float(backend.to_numpy(anyloss.cosine_embedding(a, b, y))))


# --- log_cosh to the last bits, tiny residuals to the linear tail (issue 8) ---------------

LOG_COSH_X = np.array([1e-7, 1e-4, 1e-2, 0.5, 3.0, 19.9, 20.0, 25.0, 1e4])


def _ref_log_cosh(x: np.ndarray) -> np.ndarray:
    """float64: the series ``x²/2 - x⁴/12`` below 1e-3 (exact there), else logaddexp."""
    series = x**2 / 2 - x**4 / 12
    return np.where(x < 1e-3, series, np.logaddexp(x, -x) - math.log(2.0))


def test_log_cosh_keeps_float32_precision_from_tiny_to_huge_residuals(backend: Backend) -> None:
    """Relative error within 8 float32 ulps everywhere: no cancellation against log 2 at
    small residuals, no overflow of cosh past 89, and the linear tail past 20."""
    p, t = _arrays(backend, "float32", LOG_COSH_X, np.zeros_like(LOG_COSH_X))
    got = backend.to_numpy(anyloss.log_cosh(p, t, reduction="none"))
    np.testing.assert_allclose(got, _ref_log_cosh(LOG_COSH_X), rtol=1e-6, atol=0)


def test_log_cosh_gradient_keeps_float32_precision(grad_backend: Backend) -> None:
    """The gradient is tanh(x) within 8 float32 ulps, also at 1e-7 (where an |x| - min(|x|,
    20) tail would round it to 0) and at the joint 20."""
    p, t = _arrays(grad_backend, "float32", LOG_COSH_X, np.zeros_like(LOG_COSH_X))
    _, (g,) = grad_backend.value_and_grad(lambda x: anyloss.log_cosh(x, t, reduction="sum"), [p])
    np.testing.assert_allclose(g, np.tanh(LOG_COSH_X), rtol=1e-6, atol=0)
