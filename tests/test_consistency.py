"""Cross-backend consistency: all selected backends in one process.

These run in the nox ``consistency`` session, where every CPU backend is installed (the
session then runs ``anyloss check`` itself).
"""

from __future__ import annotations

import numpy as np
import pytest

from anyloss._checker.tolerance import TOLERANCES, deviation
from tests._backends import Backend, selected_backends
from tests._matrix import loss_fn, materialize, pick, weighted_objective, wrt_of
from tests.cases import Case, representative_cases

pytestmark = pytest.mark.consistency
BACKENDS = selected_backends()
REPRESENTATIVE = representative_cases()


def _need(n: int, backends: list[Backend]) -> None:
    if len(backends) < n:
        pytest.skip(f"needs {n} backends, this run has {[b.name for b in backends]}")


@pytest.mark.parametrize("case", REPRESENTATIVE, ids=[c.name for c in REPRESENTATIVE])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_number_on_every_backend(case: Case, dtype: str) -> None:
    """Every backend gives the numpy backend's number (within the dtype's tolerance), on
    each loss's default and extreme-input cases. Every case is checked on every backend
    against its float64 reference, to the same tolerance, by the matrix (``test_value``)."""
    _need(2, BACKENDS)
    results: dict[str, np.ndarray] = {}
    for backend in BACKENDS:
        args, kwargs, _, _ = materialize(case, backend, dtype)
        run = backend.compiled(lambda *a, kw=kwargs: loss_fn(case)(*a, reduction="none", **kw))
        results[backend.name] = backend.to_numpy(run(*args))
    first, base = next(iter(results.items()))
    for name, got in results.items():
        dev = deviation(got, base)
        assert dev <= TOLERANCES[dtype].value, f"{case.name}: {name} vs {first}: {dev:.3g}"


@pytest.mark.parametrize("case", REPRESENTATIVE, ids=[c.name for c in REPRESENTATIVE])
def test_torch_and_jax_gradients_agree(case: Case) -> None:
    """Same gradient from torch autograd and jax.grad on each loss's default and
    extreme-input cases (a jit compile each; every case's gradient is checked against
    finite differences on each backend by the matrix), except where a case sits on a kink
    (``grad=False``): there each framework picks its own subgradient (torch and jax
    differ, e.g. for ``abs`` at 0), and only finiteness is promised."""
    if not case.grad:
        pytest.skip(f"{case.name}: inputs on a kink, subgradients are framework conventions")
    grad_backends = [b for b in BACKENDS if b.autograd]
    _need(2, grad_backends)
    grads = {}
    for backend in grad_backends:
        args, kwargs, _, _ = materialize(case, backend, "float64")
        wrt = wrt_of(case)
        out_shape = np.shape(backend.to_numpy(loss_fn(case)(*args, reduction="none", **kwargs)))
        cot = backend.asarray(np.random.default_rng(2).standard_normal(out_shape), "float64")

        objective = weighted_objective(loss_fn(case), args, kwargs, wrt, {"none": cot})
        grads[backend.name] = backend.value_and_grad(objective, pick(args, kwargs, wrt))[1]
    (n1, g1), (n2, g2) = list(grads.items())[:2]
    for key, a, b in zip(wrt_of(case), g1, g2, strict=False):
        dev = deviation(a, b)
        assert dev <= TOLERANCES["float64"].grad, f"{case.name} d/d{key}: {n1} vs {n2}: {dev:.3g}"
