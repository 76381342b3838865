"""The matrix: every registered loss × every selected backend × dtype, against float64 references.

Nothing here is written per loss: a loss joins by being registered in ``src/anyloss`` and
having a ``Case`` in ``tests/cases``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from anyloss._check import finite_difference
from anyloss._tolerance import TOLERANCES, deviation
from tests._backends import Backend
from tests._matrix import (
    check_array,
    loss_fn,
    materialize,
    no_compute,
    pick,
    substitute,
    wrt_of,
)
from tests.cases import Case, all_cases

CASES = all_cases()
case_param = pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])


def _compare(
    case: Case, reduction: str, got: np.ndarray, expected: np.ndarray, limit: float, what: str
) -> None:
    assert got.shape == expected.shape, (
        f"{case.name} [{reduction}] {what}: shape {got.shape}, reference {expected.shape}"
    )
    dev = deviation(got, expected)
    assert dev <= limit, (
        f"{case.name} [{reduction}] {what}: deviation {dev:.3g} > {limit:.1g}\n"
        f"got      {got.ravel()[:6]}\nexpected {expected.ravel()[:6]}"
    )


@case_param
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_value(case: Case, backend: Backend, dtype: str) -> None:
    """Value vs the float64 reference for every reduction; type, dtype and device kept."""
    if dtype not in case.dtypes:
        pytest.skip(f"{case.name} is defined for {case.dtypes} only")
    args, kwargs, ref_args, ref_kwargs = materialize(case, backend, dtype)
    for reduction in case.reductions:
        with no_compute(backend):
            out = loss_fn(case)(*args, reduction=reduction, **kwargs)
        check_array(out, backend, args, dtype)
        expected = np.asarray(case.reference(*ref_args, reduction=reduction, **ref_kwargs))
        got = backend.to_numpy(out)
        if np.all(np.isfinite(expected)):
            assert np.all(np.isfinite(got)), f"{case.name} [{reduction}]: non-finite {got}"
        _compare(case, reduction, got, expected, TOLERANCES[dtype].value, dtype)


@case_param
def test_half_precision(case: Case, half_backend: Backend) -> None:
    """float16 and bfloat16 (torch, jax): finite and within the half-precision tolerance."""
    if not case.half:
        pytest.skip(f"{case.name}: its inputs overflow half precision")
    for dtype in half_backend.half_dtypes:
        args, kwargs, ref_args, ref_kwargs = materialize(case, half_backend, dtype)
        for reduction in ("mean", "none"):
            out = loss_fn(case)(*args, reduction=reduction, **kwargs)
            check_array(out, half_backend, args, dtype)
            expected = np.asarray(case.reference(*ref_args, reduction=reduction, **ref_kwargs))
            got = half_backend.to_numpy(out)
            _compare(case, reduction, got, expected, TOLERANCES[dtype].value, dtype)


def _objective(
    case: Case, args: tuple[Any, ...], kwargs: dict[str, Any], reduction: str, cotangent: Any
) -> Any:
    wrt = wrt_of(case)
    fn = loss_fn(case)

    def objective(*diff: Any) -> Any:
        a, k = substitute(args, kwargs, wrt, diff)
        out = fn(*a, reduction=reduction, **k)
        return (out * cotangent).sum()

    return objective


@case_param
def test_gradient(case: Case, grad_backend: Backend) -> None:
    """torch autograd / jax.grad (jitted) vs central finite differences of the reference."""
    args, kwargs, ref_args, ref_kwargs = materialize(case, grad_backend, "float64")
    wrt = wrt_of(case)
    for reduction in ("mean", "none"):
        expected_value = np.asarray(case.reference(*ref_args, reduction=reduction, **ref_kwargs))
        cot = np.random.default_rng(1).standard_normal(expected_value.shape)
        cotangent = grad_backend.asarray(cot, "float64")
        objective = _objective(case, args, kwargs, reduction, cotangent)
        _, grads = grad_backend.value_and_grad(objective, pick(args, kwargs, wrt))
        if np.all(np.isfinite(expected_value)):
            for key, g in zip(wrt, grads, strict=False):
                assert np.all(np.isfinite(g)), f"{case.name} [{reduction}]: d/d{key} not finite"
        if not case.grad:
            continue

        def ref_objective(*diff: Any, reduction: str = reduction, cot: Any = cot) -> float:
            a, k = substitute(ref_args, ref_kwargs, wrt, diff)
            return float(np.sum(np.asarray(case.reference(*a, reduction=reduction, **k)) * cot))

        fd = finite_difference(ref_objective, pick(ref_args, ref_kwargs, wrt))
        for key, g, r in zip(wrt, grads, fd, strict=False):
            _compare(case, reduction, g, r, TOLERANCES["finite-difference"].grad, f"d/d{key}")


@case_param
def test_jit_equals_eager(case: Case, jax_backend: Backend) -> None:
    """Under ``jax.jit`` the loss traces (no Python branching on values) and agrees."""
    import jax

    backend = jax_backend
    args, kwargs, _, _ = materialize(case, backend, "float64")
    for reduction in case.reductions:
        fn = loss_fn(case)
        eager = fn(*args, reduction=reduction, **kwargs)
        jitted = jax.jit(lambda *a, r=reduction, f=fn: f(*a, reduction=r, **kwargs))(*args)
        _compare(
            case,
            reduction,
            backend.to_numpy(jitted),
            backend.to_numpy(eager),
            TOLERANCES["float64"].value,
            "jit vs eager",
        )
