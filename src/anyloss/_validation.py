"""Input validation shared by every loss.

Hyperparameter checks run before any array work. Value checks (labels in range,
probabilities in [0, 1]) run only on eager arrays: under ``jax.jit`` or on dask they
would force a computation or fail on a tracer, so there the inputs are unchecked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import array_api_compat

from ._compat import is_concrete

__all__ = [
    "REDUCTIONS",
    "Rule",
    "at_least",
    "boolean",
    "check_axis",
    "check_in_range",
    "check_reduction",
    "check_same_shape",
    "fmt_shape",
    "greater_than",
    "in_interval",
    "is_eager",
    "one_of",
    "optional",
    "swapped_hint",
]

REDUCTIONS = ("mean", "sum", "none")

Rule = Callable[[str, Any], None]
"""A hyperparameter rule: ``rule(name, value)`` raises ``ValueError`` if ``value`` is bad."""


def check_reduction(reduction: object) -> None:
    """Raise ``ValueError`` unless ``reduction`` is ``"mean"``, ``"sum"`` or ``"none"``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none'; got {reduction!r}")


def fmt_shape(shape: Sequence[int | None]) -> str:
    """A shape as a plain tuple string, the same for every backend: ``(8, 1)``."""
    return str(
        tuple(
            None if d is None or (isinstance(d, float) and math.isnan(d)) else int(d) for d in shape
        )
    )


def check_same_shape(a: Any, b: Any, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` naming both shapes unless ``a`` and ``b`` have equal shapes.

    Nothing is broadcast: ``(8,)`` against ``(8, 1)`` is an error, not an ``(8, 8)`` loss.
    """
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {name_a} "
            f"{fmt_shape(a.shape)} and {name_b} {fmt_shape(b.shape)}"
        )


def swapped_hint(first: Any, second: Any) -> str:
    """A note for a shape error when the target (``second``) has more dimensions than the
    prediction (``first``): the usual sign of Keras's ``loss(y_true, y_pred)`` order."""
    if len(second.shape) <= len(first.shape):
        return ""
    return (
        "; the arguments look swapped: anyloss losses take (prediction, target), Keras "
        "calls loss(y_true, y_pred): use the losses of anyloss.keras in model.compile"
    )


def check_axis(axis: int, ndim: int, name: str = "axis") -> int:
    """Normalise ``axis`` to a non-negative index into an array of ``ndim`` dimensions."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array with {ndim} dimensions")
    return axis % ndim


def is_eager(*arrays: Any) -> bool:
    """True when every array can be inspected without tracing or computing.

    False for jax tracers (inside ``jit``/``grad``/``vmap``), torch under
    ``torch.compile``, and lazy arrays such as dask (see ``_compat.is_concrete``).
    """
    return all(
        is_concrete(x) for x in arrays if x is not None and not isinstance(x, (bool, int, float))
    )


def check_in_range(x: Any, lo: float, hi: float, what: str, xp: Any) -> None:
    """On eager arrays, raise ``ValueError`` unless every value of ``x`` is in ``[lo, hi]``."""
    if not is_eager(x) or math.prod(x.shape) == 0:
        return
    bad = xp.logical_or(x < lo, x > hi)
    if bool(xp.any(bad)):
        raise ValueError(
            f"{what} must lie in [{lo}, {hi}]; got values from {float(xp.min(x))} "
            f"to {float(xp.max(x))}"
        )


# --- hyperparameter rules ---------------------------------------------------------------


def _satisfies(name: str, value: Any, test: Callable[[Any], Any]) -> bool:
    """Whether ``test(value)`` holds: for numbers, and elementwise for eager arrays.

    Traced or lazy arrays are not inspected (True). Arrays are compared through their
    own namespace and only the boolean result is read, so a torch tensor that requires
    grad is never converted to a Python float.
    """
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number; got {value!r}")
    if isinstance(value, (int, float)):
        return bool(test(value))
    if not hasattr(value, "shape"):
        raise ValueError(f"{name} must be a number; got {type(value).__name__} {value!r}")
    if not is_eager(value) or math.prod(value.shape) == 0:
        return True
    xp = array_api_compat.array_namespace(value)
    return bool(xp.all(test(value)))


def greater_than(bound: float) -> Rule:
    """Rule: the value (or every element of an eager array) is strictly greater than ``bound``."""

    def rule(name: str, value: Any) -> None:
        if not _satisfies(name, value, lambda v: v > bound):
            raise ValueError(f"{name} must be > {bound}; got {value!r}")

    return rule


def at_least(bound: float) -> Rule:
    """Rule: the value (or every element of an eager array) is at least ``bound``."""

    def rule(name: str, value: Any) -> None:
        if not _satisfies(name, value, lambda v: v >= bound):
            raise ValueError(f"{name} must be >= {bound}; got {value!r}")

    return rule


def in_interval(lo: float, hi: float) -> Rule:
    """Rule: the value (or every element of an eager array) lies in ``[lo, hi]``."""

    def rule(name: str, value: Any) -> None:
        if not _satisfies(name, value, lambda v: (v >= lo) & (v <= hi)):
            raise ValueError(f"{name} must lie in [{lo}, {hi}]; got {value!r}")

    return rule


def one_of(*allowed: Any) -> Rule:
    """Rule: the value is one of ``allowed``."""

    bools_allowed = all(isinstance(a, bool) for a in allowed)

    def rule(name: str, value: Any) -> None:
        if isinstance(value, bool) != bools_allowed or value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}; got {value!r}")

    return rule


def optional(rule: Rule) -> Rule:
    """Rule: ``None``, or a value that obeys ``rule``."""

    def check(name: str, value: Any) -> None:
        if value is not None:
            rule(name, value)

    return check


boolean: Rule = one_of(True, False)
"""Rule: the value is ``True`` or ``False``."""
