"""Input validation shared by every loss.

Hyperparameter checks run before any array work. Value checks (labels in range,
probabilities in [0, 1], non-negative measures) run only on eager arrays: under
``jax.jit`` or on dask they would force a computation or fail on a tracer, so there the
inputs are unchecked.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import array_api_compat
import numpy as np

from ._compat import host_array
from ._inputs import dtype_kind
from ._settings import checks_values

__all__ = [
    "REDUCTIONS",
    "HyperparameterTypeError",
    "Rule",
    "at_least",
    "boolean",
    "check_axis",
    "check_broadcasts",
    "check_in_range",
    "check_non_negative",
    "check_one_of",
    "check_probabilities",
    "check_reduction",
    "check_same_shape",
    "check_values",
    "fmt_shape",
    "greater_than",
    "in_interval",
    "integer",
    "is_eager",
    "is_zero",
    "one_of",
    "optional",
    "swapped_hint",
    "value_span",
    "weights",
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


def check_broadcasts(name: str, value: Any, shape: tuple[int, ...], to: str) -> None:
    """Raise ``ValueError`` unless the array ``value`` broadcasts to ``shape`` (the shape
    of ``to``) without enlarging it: torch's rule, trailing axes aligned, each of size 1
    or equal, and no more axes than ``shape``."""
    v_shape = tuple(value.shape)
    fits = len(v_shape) <= len(shape) and all(  # ==, not `in`: sizes may be symbols
        a == 1 or a == b for a, b in zip(reversed(v_shape), reversed(shape), strict=False)
    )
    if not fits:
        raise ValueError(
            f"{name} of shape {fmt_shape(v_shape)} does not broadcast to {to} of shape "
            f"{fmt_shape(shape)}: align trailing axes, each of size 1 or equal, with no "
            f"more axes than {to}"
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
    """True when the values of every array are to be read and checked now.

    Never for jax tracers (inside ``jit``/``grad``/``vmap``), torch under
    ``torch.compile`` or lazy arrays such as dask (``_compat.is_concrete``); for concrete
    arrays, as the value-checks switch says (``_settings``: by default only in host
    memory, where reading costs no device sync).
    """
    for x in arrays:  # a loop, not all(generator): this runs on every call
        if x is not None and not isinstance(x, (bool, int, float)) and not checks_values(x):
            return False
    return True


def is_zero(value: Any) -> bool:
    """True for a Python number equal to 0 (arrays count as nonzero: no value branching)."""
    return isinstance(value, (int, float)) and value == 0


def check_values(x: Any, xp: Any, bad: Callable[[Any], Any], problem: Callable[[], str]) -> None:
    """On eager, non-empty arrays, raise ``ValueError(problem())`` where ``bad(x)`` holds
    (a boolean mask, or one Python bool for all of ``x``).

    The one place where input values are read. Traced and lazy arrays (``is_eager``) are
    not inspected (their losses turn unchecked bad values into NaN instead), nor are
    Python numbers; ``problem`` builds the message only on failure.
    """
    if isinstance(x, (int, float)):  # a number, also one torch.compile traces as a symbol
        return  # (``hasattr`` cannot be asked of that)
    if not hasattr(x, "shape") or not is_eager(x) or math.prod(x.shape) == 0:
        return
    flags = bad(x)
    if flags if isinstance(flags, bool) else bool(xp.any(flags)):
        raise ValueError(problem())


def value_span(x: Any, xp: Any) -> str:
    """``"got values from <min> to <max>"``, for the message of a failed value check
    (read in host memory: no autograd warning for a tensor that requires a gradient)."""
    values = host_array(x)
    if values.dtype.kind == "f" and np.isnan(values).any() and not np.isnan(values).all():
        values = values[~np.isnan(values)]  # the span of the values a NaN would hide
    return f"got values from {values.min().item()} to {values.max().item()}"


def least_value(x: Any) -> float:
    """The least value of concrete array ``x``, for an error message (read in host
    memory: no autograd warning for a tensor that requires a gradient)."""
    return float(host_array(x).min())


def first_bad_value(x: Any, bad: Any) -> str:
    """``"got <value> at index <index>"``: the first value of ``x`` where mask ``bad``
    holds, for the message of a failed value check."""
    values, mask = host_array(x), host_array(bad)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(mask)), mask.shape))
    where = index[0] if len(index) == 1 else index
    return f"got {values[index].item()} at index {where}"


def check_in_range(x: Any, lo: float, hi: float, what: str, xp: Any) -> None:
    """On eager arrays, raise ``ValueError`` unless every value of ``x`` is in ``[lo, hi]``.

    Read as the least and the greatest value (one reduction per finite bound, no
    full-size temporary: a mask and its ``any`` cost torch on CPU ~3x more); NaN passes
    (NaN in gives NaN out) without hiding a bad value beside it.
    """
    check_values(
        x,
        xp,
        lambda v: _outside(v, lo, hi, xp),
        lambda: f"{what} must {_bounds(lo, hi)}; {value_span(x, xp)}",
    )


def _bounds(lo: float, hi: float) -> str:
    """``"lie in [lo, hi]"``, or ``"be >= lo"`` for a half-line, for an error message."""
    return f"be >= {lo}" if hi == math.inf else f"lie in [{lo}, {hi}]"


def _outside(x: Any, lo: float, hi: float, xp: Any) -> bool:
    """Whether non-empty ``x`` has a value below ``lo`` or above ``hi`` (a Python bool).

    Read as the least and the greatest value, each as a float: on small arrays a mask,
    its ``any`` or a 0-d comparison cost more than the reductions (torch ~5 against
    ~1.5 µs). A NaN makes an extreme NaN and would hide the other values: then the
    values are compared one by one (NaN itself passes: NaN in gives NaN out).
    """
    for bound, extreme, beyond in ((lo, xp.min, float.__lt__), (hi, xp.max, float.__gt__)):
        if math.isinf(bound):
            continue
        value = float(host_array(extreme(x)))  # torch: no requires_grad-to-scalar warning
        if beyond(value, bound):
            return True
        if math.isnan(value):
            return bool(xp.any(xp.logical_or(x < lo, x > hi)))
    return False


def check_probabilities(xp: Any, **arrays: Any) -> None:
    """On eager arrays, raise ``ValueError`` naming the first keyword whose array has a
    value outside [0, 1] (probabilities, soft masks): ``check_probabilities(xp, pred=p)``.

    Elsewhere the value is unchecked; NaN passes (NaN in gives NaN out)."""
    for name, x in arrays.items():
        check_in_range(x, 0.0, 1.0, f"{name} (probabilities)", xp)


def check_non_negative(xp: Any, **arrays: Any) -> None:
    """On eager arrays, raise ``ValueError`` naming the first keyword whose array has a
    negative value (non-negative measures); NaN passes."""
    for name, x in arrays.items():
        check_in_range(x, 0.0, math.inf, name, xp)


# --- hyperparameter rules ---------------------------------------------------------------


class HyperparameterTypeError(TypeError, ValueError):
    """A hyperparameter of the wrong type: a ``TypeError``, and a ``ValueError`` as every
    bad hyperparameter is (the catalog's rule), so either ``except`` catches it."""


def _is_real_array(value: Any) -> bool:
    """An array (anything with a shape and a dtype) of real numbers: not bool, not complex."""
    dtype = getattr(value, "dtype", None)
    if dtype is None or not hasattr(value, "shape"):
        return False
    kind = dtype_kind(dtype)
    return kind in ("half", "float") or (
        kind == "other" and str(dtype).rsplit(".", 1)[-1] != "bool"
    )


def _satisfies(
    name: str, value: Any, test: Callable[[Any], Any], *, finite: bool, shaped: bool
) -> bool:
    """Whether ``test(value)`` holds: for numbers, and elementwise for eager arrays.

    A hyperparameter is a real number, or a real array: 0-d unless ``shaped`` (a loss that
    takes arrays there checks that they broadcast against what they scale). ``inf`` and
    ``NaN`` fail unless ``finite=False`` (NaN always fails ``test``). Traced or lazy arrays
    are not inspected (True). Arrays are compared through their own namespace and only the
    boolean result is read, so a torch tensor that requires grad is never converted to a
    Python float.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if finite and not finite_number(value):
            raise ValueError(f"{name} must be finite; got {value!r}")
        return bool(test(value))
    if not _is_real_array(value):
        raise HyperparameterTypeError(f"{name} must be a real number; got {_kind(value)}")
    if not shaped and value.ndim != 0:
        raise ValueError(
            f"{name} must be a number or a 0-d array; got an array of shape "
            f"{fmt_shape(value.shape)}"
        )
    if not is_eager(value) or math.prod(value.shape) == 0:
        return True
    xp = array_api_compat.array_namespace(value)
    if finite and not bool(xp.all(xp.isfinite(value))):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return bool(xp.all(test(value)))


def _kind(value: Any) -> str:
    """``value`` described for an error message: its type, and its dtype for arrays."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        return f"an array of dtype {dtype}"
    return f"{type(value).__name__} {value!r}"


def greater_than(bound: float, *, finite: bool = True, shaped: bool = False) -> Rule:
    """Rule: the value (or every element of an eager array) is strictly greater than ``bound``.

    ``finite=False`` admits ``inf``; ``shaped=True`` admits arrays of any shape (see
    ``_satisfies``).
    """

    def rule(name: str, value: Any) -> None:
        if not _satisfies(name, value, lambda v: v > bound, finite=finite, shaped=shaped):
            raise ValueError(f"{name} must be > {bound}; got {value!r}")

    return rule


def at_least(bound: float, *, finite: bool = True, shaped: bool = False) -> Rule:
    """Rule: the value (or every element of an eager array) is at least ``bound``."""

    def rule(name: str, value: Any) -> None:
        if not _satisfies(name, value, lambda v: v >= bound, finite=finite, shaped=shaped):
            raise ValueError(f"{name} must be >= {bound}; got {value!r}")

    return rule


def in_interval(lo: float, hi: float, *, finite: bool = True, shaped: bool = False) -> Rule:
    """Rule: the value (or every element of an eager array) lies in ``[lo, hi]``."""

    def rule(name: str, value: Any) -> None:
        test = lambda v: (v >= lo) & (v <= hi)  # noqa: E731
        if not _satisfies(name, value, test, finite=finite, shaped=shaped):
            raise ValueError(f"{name} must lie in [{lo}, {hi}]; got {value!r}")

    return rule


def integer(name: str, value: Any) -> None:
    """Rule: a Python (or NumPy) integer, such as an axis; ``bool`` is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise HyperparameterTypeError(f"{name} must be an integer; got {_kind(value)}")


def weights(*, number: bool) -> Rule:
    """Rule: ``None``, a sequence of finite real numbers, or a real array (a number too if
    ``number``); the loss checks the shape against its inputs."""

    def rule(name: str, value: Any) -> None:
        if value is None or _is_real_array(value):
            return
        if isinstance(value, (list, tuple)):
            if not all(_is_finite_number(v) for v in value):
                raise ValueError(f"{name} must hold finite real numbers; got {value!r}")
            return
        if number and _is_finite_number(value):
            return
        allowed = "a number, a sequence of numbers or" if number else "a sequence of numbers or"
        raise HyperparameterTypeError(f"{name} must be {allowed} a real array; got {_kind(value)}")

    return rule


def _is_finite_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
        and finite_number(value)
    )


def finite_number(value: Any) -> bool:
    """Whether the number ``value`` is finite (not inf, -inf or NaN, which fails both
    comparisons). Compared, not ``math.isfinite``: under ``torch.compile`` a float
    argument that changes between calls is traced as a symbol, which comparisons take
    and ``math.isfinite`` does not."""
    return -math.inf < value < math.inf


def one_of(*allowed: Any) -> Rule:
    """Rule: the value is one of ``allowed``."""

    bools_allowed = all(isinstance(a, bool) for a in allowed)

    def rule(name: str, value: Any) -> None:
        if isinstance(value, bool) != bools_allowed or not _member(value, allowed):
            raise ValueError(f"{name} must be one of {allowed}; got {value!r}")

    return rule


def _member(value: Any, allowed: tuple[Any, ...]) -> bool:
    """``value in allowed``, False for values that do not compare to one answer (arrays)."""
    try:
        return bool(value in allowed)
    except (TypeError, ValueError, RuntimeError):
        return False


def optional(rule: Rule) -> Rule:
    """Rule: ``None``, or a value that obeys ``rule``."""

    def check(name: str, value: Any) -> None:
        if value is not None:
            rule(name, value)

    return check


def boolean(name: str, value: Any) -> None:
    """Rule: the value is ``True`` or ``False``."""
    if value is not True and value is not False:
        raise ValueError(f"{name} must be one of (True, False); got {value!r}")


def check_one_of(target: Any, allowed: tuple[float, ...], name: str, xp: Any) -> None:
    """On eager arrays, raise ``ValueError`` unless every value of ``target`` is allowed."""

    def bad(v: Any) -> Any:
        return xp.logical_not(functools.reduce(xp.logical_or, [v == a for a in allowed]))

    check_values(
        target,
        xp,
        bad,
        lambda: (
            f"{name} values must be one of {', '.join(map(str, allowed))}; "
            f"{first_bad_value(target, bad(target))}"
        ),
    )
