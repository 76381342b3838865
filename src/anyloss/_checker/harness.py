"""The harness shared by ``anyloss check`` and the test matrix (``tests/_matrix.py``).

Inputs as a backend's arrays (``convert``), the differentiable ones picked out and put
back (``pick``, ``substitute``), the scalar whose gradient is checked
(``weighted_objective``), and central finite differences of the float64 NumPy loss with its
stopped values held as autograd holds them (``finite_difference`` under ``frozen_stops``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .._compat import FROZEN_AT, FROZEN_VALUES

__all__ = [
    "convert",
    "finite_difference",
    "frozen_stops",
    "pick",
    "substitute",
    "weighted_objective",
]


def finite_difference(
    f: Callable[..., float], xs: Sequence[np.ndarray], rel_step: float = 1e-6
) -> list[np.ndarray]:
    """Central finite-difference gradient of a float64 scalar function, every element."""
    grads = []
    for k, x in enumerate(xs):
        x = np.asarray(x, dtype=np.float64)
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            h = rel_step * max(1.0, abs(float(x[idx])))
            up, down = x.copy(), x.copy()
            up[idx] += h
            down[idx] -= h
            args_up = [*xs[:k], up, *xs[k + 1 :]]
            args_down = [*xs[:k], down, *xs[k + 1 :]]
            g[idx] = (f(*args_up) - f(*args_down)) / (up[idx] - down[idx])
        grads.append(g)
    return grads


def convert(backend: Any, x: Any, dtype: str) -> Any:
    """A float64/int64/bool NumPy input as ``backend``'s array (floats in ``dtype``, integers
    as int64); anything else (Python numbers, ``None``) unchanged."""
    if not isinstance(x, np.ndarray):
        return x
    if np.issubdtype(x.dtype, np.floating):
        return backend.asarray(x, dtype)
    if x.dtype == np.bool_:
        return backend.asarray(x, "bool")
    return backend.asarray(x, "int64")


def substitute(
    args: tuple[Any, ...], kwargs: dict[str, Any], wrt: Sequence[int | str], values: Sequence[Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``args``/``kwargs`` with the ``wrt`` entries (positions or keywords) replaced."""
    a, k = list(args), dict(kwargs)
    for key, v in zip(wrt, values, strict=False):
        if isinstance(key, int):
            a[key] = v
        else:
            k[key] = v
    return tuple(a), k


def pick(args: tuple[Any, ...], kwargs: dict[str, Any], wrt: Sequence[int | str]) -> list[Any]:
    """The ``wrt`` entries of ``args``/``kwargs``: the inputs to differentiate."""
    return [args[key] if isinstance(key, int) else kwargs[key] for key in wrt]


def weighted_objective(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    wrt: Sequence[int | str],
    cotangents: Mapping[str, Any],
) -> Callable[..., Any]:
    """The scalar whose gradient is checked: ``Σ_r sum(fn(..., reduction=r) * cotangent_r)``
    as a function of the ``wrt`` inputs (one call, so jax compiles it once)."""

    def objective(*diff: Any) -> Any:
        a, k = substitute(args, kwargs, wrt, diff)
        total = 0
        for reduction, cot in cotangents.items():
            total = total + (fn(*a, reduction=reduction, **k) * cot).sum()
        return total

    return objective


@contextlib.contextmanager
def frozen_stops() -> Iterator[Callable[[], contextlib.AbstractContextManager[None]]]:
    """Finite differences of a NumPy loss with its stopped values held constant.

    Inside the block the loss's first evaluation records what it passes to
    ``stop_gradient``; an evaluation inside ``replay()`` gets those values back, in the
    same order, so finite differences around the first point differentiate the loss as
    autograd does (``complete_box_iou``'s α constant; a log-sum-exp shift is unchanged)::

        def frozen(x):
            with replay():
                return loss(x)

        with frozen_stops() as replay:
            loss(x0)
            g = finite_difference(frozen, [x0])
    """
    recorded: list[Any] = []
    token = FROZEN_VALUES.set(recorded)

    @contextlib.contextmanager
    def replay() -> Iterator[None]:
        position = FROZEN_AT.set(0)
        try:
            yield
        finally:
            FROZEN_AT.reset(position)

    try:
        yield replay
    finally:
        FROZEN_VALUES.reset(token)
