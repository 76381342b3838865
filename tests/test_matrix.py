"""The matrix: every registered loss × every selected backend × dtype, against float64 references.

Nothing here is written per loss: a loss joins by being registered in ``src/anyloss`` and
having a ``Case`` in ``tests/cases``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from anyloss._checker.harness import finite_difference, frozen_stops
from anyloss._checker.tolerance import TOLERANCES, deviation
from tests._backends import Backend
from tests._matrix import (
    check_array,
    loss_fn,
    materialize,
    no_compute,
    on_path,
    paths,
    pick,
    weighted_objective,
    wrt_of,
)
from tests.cases import Case, all_cases, representative_cases

CASES = all_cases()
REPRESENTATIVE = representative_cases()
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
    """Value vs the float64 reference for every reduction; type, dtype and device kept.

    On jax the reductions run in one ``jax.jit`` (eager jax compiles op by op, which is
    slower; eager jax is covered by ``test_jit_equals_eager``). A jit compile per case and
    dtype is most of the jax session's time: there every case runs in float64 and each
    loss's default and extreme-input cases in float32
    (``Backend.low_precision_on_every_case``; every case on the other backends).
    """
    if dtype not in case.dtypes:
        pytest.skip(f"{case.name} is defined for {case.dtypes} only")
    every_case = dtype == "float64" or backend.low_precision_on_every_case
    if not every_case and case not in REPRESENTATIVE:
        pytest.skip(f"{backend} float32 runs on the default and extreme-input cases")
    _check_reductions(case, backend, dtype, case.reductions)


@case_param
def test_half_precision(case: Case, half_backend: Backend) -> None:
    """float16 and bfloat16 (torch, jax): finite and within the half-precision tolerance.

    Every case on torch; where a case costs a compile (jax; half precision is computed in
    float32 by the one call path anyway) each loss's default and extreme-input cases
    (``Backend.low_precision_on_every_case``).
    """
    if not case.half:
        pytest.skip(f"{case.name}: its inputs overflow half precision")
    if not half_backend.low_precision_on_every_case and case not in REPRESENTATIVE:
        pytest.skip(f"{half_backend} half precision runs on the default and extreme-input cases")
    for dtype in half_backend.half_dtypes:
        _check_reductions(case, half_backend, dtype, ("mean", "none"), finite=False)


def _check_reductions(
    case: Case, backend: Backend, dtype: str, reductions: tuple[str, ...], finite: bool = True
) -> None:
    """Every reduction against the reference, through each path the loss has on ``backend``
    (its native kernel and its portable form, where a kernel is registered)."""
    args, kwargs, ref_args, ref_kwargs = materialize(case, backend, dtype)
    fn = loss_fn(case)

    def every_reduction(*a: Any) -> tuple[Any, ...]:
        return tuple(fn(*a, reduction=r, **kwargs) for r in reductions)

    for path in paths(case, backend):
        with no_compute(backend), on_path(path):
            outs = backend.compiled(every_reduction)(*args)
        for reduction, out in zip(reductions, outs, strict=True):
            check_array(out, backend, args, dtype)
            expected = np.asarray(case.reference(*ref_args, reduction=reduction, **ref_kwargs))
            got = backend.to_numpy(out)
            what = f"{dtype} {path}"
            if finite and np.all(np.isfinite(expected)):
                assert np.all(np.isfinite(got)), f"{case.name} [{reduction}] {what}: {got}"
            _compare(case, reduction, got, expected, TOLERANCES[dtype].value, what)


GRAD_REDUCTIONS = ("mean", "none")


def _cotangents(
    case: Case, ref_args: tuple[Any, ...], ref_kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Random weights for each reduction's output (fixed seed), shaped like the reference."""
    rng = np.random.default_rng(1)
    return {
        r: rng.standard_normal(np.shape(case.reference(*ref_args, reduction=r, **ref_kwargs)))
        for r in GRAD_REDUCTIONS
    }


@case_param
def test_gradient(case: Case, grad_backend: Backend) -> None:
    """torch autograd / jax.grad (jitted) vs central finite differences of the reference.

    The differentiated scalar weighs the "mean" and the "none" outputs with random
    cotangents, so both reductions' gradients are checked by one autograd call.
    """
    args, kwargs, ref_args, ref_kwargs = materialize(case, grad_backend, "float64")
    wrt = wrt_of(case)
    cots = _cotangents(case, ref_args, ref_kwargs)
    backend_cots = {r: grad_backend.asarray(c, "float64") for r, c in cots.items()}
    objective = weighted_objective(loss_fn(case), args, kwargs, wrt, backend_cots)
    ref_objective = weighted_objective(case.reference, ref_args, ref_kwargs, wrt, cots)
    fd = None
    # a reference marks what the loss holds constant with stop_gradient (complete_box_iou's
    # α): the finite differences keep those values from the first evaluation
    with frozen_stops() as replay:
        finite = np.isfinite(ref_objective(*pick(ref_args, ref_kwargs, wrt)))

        def held(*d: Any) -> float:
            with replay():
                return float(ref_objective(*d))

        if case.grad:
            fd = finite_difference(held, pick(ref_args, ref_kwargs, wrt))
    for path in paths(case, grad_backend):
        with on_path(path):
            _, grads = grad_backend.value_and_grad(objective, pick(args, kwargs, wrt))
        if finite:
            for key, g in zip(wrt, grads, strict=True):
                assert np.all(np.isfinite(g)), f"{case.name} {path}: d/d{key} not finite"
        if fd is None:
            continue
        for key, g, r in zip(wrt, grads, fd, strict=True):
            _compare(
                case, "mean+none", g, r, TOLERANCES["finite-difference"].grad, f"{path} d/d{key}"
            )


# eager jax runs op by op, each op compiled on its own (most of the jax session's time);
# what differs between eager and jit is the code path (value checks, Python seeing real
# values), so each loss's default and extreme-input cases


@pytest.mark.parametrize("case", REPRESENTATIVE, ids=[c.name for c in REPRESENTATIVE])
def test_jit_equals_eager(case: Case, jax_backend: Backend) -> None:
    """Eager jax and ``jax.jit`` agree (the per-element output; reductions only sum it).

    ``test_value`` runs every case and reduction under ``jax.jit`` against the reference;
    this proves the eager path too (value checks run there, and Python sees real values),
    on each loss's default and extreme-input cases.
    """
    import jax

    backend = jax_backend
    args, kwargs, _, _ = materialize(case, backend, "float64")
    fn = loss_fn(case)

    def unreduced(*a: Any) -> Any:
        return fn(*a, reduction="none", **kwargs)

    _compare(
        case,
        "none",
        backend.to_numpy(jax.jit(unreduced)(*args)),
        backend.to_numpy(unreduced(*args)),
        TOLERANCES["float64"].value,
        "jit vs eager",
    )
