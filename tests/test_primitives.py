"""The stable primitives at extreme inputs, value and gradient (vs float64 NumPy formulas)."""

from __future__ import annotations

import numpy as np
import pytest

from anyloss import _primitives as P
from tests._backends import Backend

X = np.array([-1e4, -800.0, -30.0, -1.0, 0.0, 1e-8, 1.0, 30.0, 800.0, 1e4])


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
