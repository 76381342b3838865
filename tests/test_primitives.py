"""The stable primitives at extreme inputs, value and gradient (vs float64 NumPy formulas)."""

from __future__ import annotations

import numpy as np
import pytest

from anyloss import _primitives as P
from tests._backends import Backend

X = np.array([-1e4, -800.0, -30.0, -1.0, 0.0, 1e-8, 1.0, 30.0, 800.0, 1e4])
# softplus on both sides of torch's threshold (37: above it softplus is x itself), where
# float32's exp overflows (88.7) and its tails underflow
X_SOFTPLUS = np.array([-1e4, -100.0, -87.0, -20.0, -1e-3, 0.0, 1e-3, 20.0, 36.9, 37.0, 37.1])
X_SOFTPLUS = np.concatenate([X_SOFTPLUS, [50.0, 88.0, 89.0, 1e4], np.linspace(-60, 60, 241)])


def _run(backend: Backend, fn, x: np.ndarray):  # type: ignore[no-untyped-def]
    return backend.to_numpy(fn(backend.asarray(x, "float64"), backend.xp))


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (P.softplus, np.logaddexp(0.0, X)),
    ],
    ids=["softplus"],
)
def test_elementwise_primitives_at_extremes(backend: Backend, fn, expected) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(_run(backend, fn, X), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_to_rounding_in_value_and_gradient(grad_backend: Backend, dtype: str) -> None:
    """softplus = logaddexp(0, x) and its slope sigmoid(x), against float64 NumPy on the
    same (rounded) inputs, to a few ulps of the dtype, ``inf`` at ``inf``, NaN at NaN."""
    b = grad_backend
    x_in = X_SOFTPLUS.astype(dtype).astype(np.float64)  # the inputs as the dtype holds them
    x = b.asarray(x_in, dtype)
    _, (slope,) = b.value_and_grad(lambda v: P.softplus(v, b.xp).sum(), [x])
    tol = 4 * np.finfo(dtype).eps
    tiny = np.finfo(dtype).tiny  # below it the tails are subnormal (or 0)
    values = b.to_numpy(P.softplus(x, b.xp)).astype(np.float64)
    np.testing.assert_allclose(values, np.logaddexp(0.0, x_in), rtol=tol, atol=tiny)
    e = np.exp(-np.abs(x_in))  # sigmoid in two roundings
    sigmoid = np.where(x_in >= 0, 1 / (1 + e), e / (1 + e))
    # jax's slope is exp(x - softplus(x)): exp's argument rounds by |x| ulps
    slack = tol * np.maximum(1.0, np.abs(x_in)) * sigmoid + tiny
    assert np.all(np.abs(slope - sigmoid) <= slack), np.max(np.abs(slope - sigmoid) / slack)
    edges = b.to_numpy(P.softplus(b.asarray(np.array([np.inf, -np.inf, np.nan]), dtype), b.xp))
    assert edges[0] == np.inf
    assert edges[1] == 0
    assert np.isnan(edges[2])


def test_logsumexp_and_log_softmax(backend: Backend) -> None:
    x = np.array([[1e4, 0.0, -1e4], [-np.inf, 2.0, 3.0], [-np.inf, -np.inf, -np.inf]])
    got = backend.to_numpy(P.logsumexp(backend.asarray(x, "float64"), backend.xp, axis=-1))
    np.testing.assert_allclose(got, [1e4, np.logaddexp(2.0, 3.0), -np.inf])
    ls = backend.to_numpy(P.log_softmax(backend.asarray(x[:2], "float64"), backend.xp, axis=-1))
    np.testing.assert_allclose(ls[0], [0.0, -1e4, -2e4])


def test_xlogy_zero_times_log_zero(backend: Backend) -> None:
    x, y = np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, 3.0])
    got = backend.to_numpy(
        P.xlogy(backend.asarray(x, "float64"), backend.asarray(y, "float64"), backend.xp)
    )
    np.testing.assert_allclose(got, [0.0, 0.0, 2 * np.log(3.0)])


def test_gradients_are_finite_at_extremes(grad_backend: Backend) -> None:
    """softplus' = sigmoid, exactly 1/2 at 0; safe_sqrt' = 0 at 0; xlogy finite at 0·log 0."""
    b = grad_backend
    xp = b.xp
    x = b.asarray(X, "float64")
    _, (g,) = b.value_and_grad(lambda v: P.softplus(v, xp).sum(), [x])
    np.testing.assert_allclose(g, np.exp(-np.logaddexp(0.0, -X)), rtol=1e-12)
    _, (g,) = b.value_and_grad(lambda v: P.safe_sqrt(v * v, xp).sum(), [x])
    assert np.all(np.isfinite(g))
    assert g[4] == 0
    zeros = b.asarray(np.zeros(3), "float64")
    _, grads = b.value_and_grad(lambda p, q: P.xlogy(p, q, xp).sum(), [zeros, zeros])
    assert all(np.all(np.isfinite(gr)) for gr in grads)


# t, p for log_ratio: near-equal pairs (p a few float32 ulps above t, where two float32
# logs round away the ratio), far pairs, t = 0 (0·log 0 = 0) and p = 0 < t (+inf)
_NEAR = np.array([0.5, 1e-3, 3.0], dtype=np.float32)
T_RATIO = np.concatenate([_NEAR, [0.9, 0.0, 0.2]]).astype(np.float32)
P_RATIO = np.concatenate(
    [np.nextafter(np.nextafter(_NEAR, np.float32(9)), np.float32(9)), [0.1, 0.4, 0.0]]
).astype(np.float32)


def test_log_ratio_keeps_near_equal_ratios_in_float32(backend: Backend) -> None:
    """``log(t/p)`` to float32 precision of the ratio itself, 0 where ``t = 0``."""
    t32, p32 = T_RATIO, P_RATIO
    t, p = backend.asarray(t32, "float32"), backend.asarray(p32, "float32")
    got = backend.to_numpy(P.log_ratio(t, p, backend.xp)).astype(np.float64)
    t64, p64 = t32.astype(np.float64), p32.astype(np.float64)  # the float32 inputs, exactly
    with np.errstate(divide="ignore"):
        expected = np.where(t64 == 0, 0.0, np.log1p((t64 - p64) / p64))
    expected[5] = np.inf
    np.testing.assert_allclose(got[:5], expected[:5], rtol=1e-6, atol=0)
    assert got[5] == np.inf


def test_log_ratio_gradient_is_that_of_the_two_logs(grad_backend: Backend) -> None:
    """d/dt = 1/t and d/dp = -1/p (near-equal and far pairs alike); 0 where t = 0."""
    b = grad_backend
    t64, p64 = T_RATIO[:5].astype(np.float64), P_RATIO[:5].astype(np.float64)
    t, p = b.asarray(t64, "float64"), b.asarray(p64, "float64")
    _, (gt, gp) = b.value_and_grad(lambda u, v: P.log_ratio(u, v, b.xp).sum(), [t, p])
    nonzero = t64 != 0
    np.testing.assert_allclose(gt[nonzero], 1 / t64[nonzero], rtol=1e-12)
    np.testing.assert_allclose(gp[nonzero], -1 / p64[nonzero], rtol=1e-12)
    assert np.all(gt[~nonzero] == 0)
    assert np.all(gp[~nonzero] == 0)
