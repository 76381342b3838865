"""What every registered loss does with its array arguments before and after its own code.

Two rules of the catalog live here, once, instead of in each loss:

* **Array arguments are arrays.** ``None``, Python numbers, lists and strings where an
  array is due, and complex arrays, raise ``TypeError`` naming the argument (a loss may
  declare positional arguments that also take a Python number, as ``gaussian_nll``'s
  ``var``).
* **Half precision is computed in float32.** When the inputs' floating dtype is float16 or
  bfloat16, every half-precision array argument is cast to float32, the loss runs there,
  and the result is cast back to the input dtype — as ``torch.autocast`` runs losses in
  float32. Intermediate values (squares, exponentials, ``eps=1e-8``) then neither overflow
  nor underflow, and a gradient is finite wherever the float32 one is representable.

Dtypes are classified by name (``float16``, ``torch.bfloat16``, ``complex64``, ...), which
reads the same on every library, and the answer is cached per dtype.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ._compat import cached, namespace_of, tracing

__all__ = ["dtype_kind", "guarded_call"]

_HALF = ("float16", "bfloat16")
_KINDS: dict[tuple[type, Any], str] = {}
_POSITIONAL: dict[Callable[..., Any], tuple[str, ...]] = {}


def dtype_kind(dtype: Any) -> str:
    """``"half"``, ``"float"``, ``"complex"`` or ``"other"`` (integers, bool) for ``dtype``."""
    key = (type(dtype), dtype)  # by type first: strict dtypes warn when compared to NumPy's
    return cached(_KINDS, key, _classify, dtype)


def _classify(dtype: Any) -> str:
    name = str(dtype).rsplit(".", 1)[-1]
    if name in _HALF:
        return "half"
    if "complex" in name:
        return "complex"
    return "float" if "float" in name else "other"


def _positional_names(fn: Callable[..., Any]) -> tuple[str, ...]:
    return cached(_POSITIONAL, fn, _positional_parameters, fn)


def _positional_parameters(fn: Callable[..., Any]) -> tuple[str, ...]:
    params = inspect.signature(fn).parameters.values()
    return tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def check_array_arguments(
    loss: str, fn: Callable[..., Any], args: tuple[Any, ...], scalars: tuple[str, ...] = ()
) -> list[str]:
    """Raise ``TypeError`` naming an argument that is not a real array; return the dtype kinds.

    ``scalars`` names the positional arguments that may also be a Python ``int``/``float``.
    """
    kinds = []
    for i, x in enumerate(args):
        dtype = getattr(x, "dtype", None)
        if dtype is None:
            name = _name(fn, i)
            if name in scalars and isinstance(x, (int, float)) and not isinstance(x, bool):
                continue
            raise TypeError(
                f"{loss}(): argument {name!r} must be an array (numpy, cupy, torch, jax, dask "
                f"or any Array API library); got {_describe(x)}"
            )
        kind = dtype_kind(dtype)
        if kind == "complex":
            raise TypeError(
                f"{loss}(): argument {_name(fn, i)!r} is a complex array (dtype {dtype}); "
                "losses take real arrays (pass the real part, or the magnitude, explicitly)"
            )
        kinds.append(kind)
    return kinds


def _name(fn: Callable[..., Any], i: int) -> str:
    names = _positional_names(fn)
    return names[i] if i < len(names) else f"argument {i}"


def _describe(x: Any) -> str:
    if x is None:
        return "None"
    if isinstance(x, (bool, int, float, complex)):
        return f"the Python {type(x).__name__} {x!r} (wrap it with xp.asarray)"
    if isinstance(x, (list, tuple)):
        return f"a Python {type(x).__name__} (convert it with xp.asarray first)"
    return f"a {type(x).__module__}.{type(x).__name__}"


def guarded_call(
    loss: str,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    scalars: tuple[str, ...] = (),
    widened: Callable[..., Any] | None = None,
) -> Any:
    """``fn(*args, **kwargs)`` after the array checks, half precision run in float32
    (by ``widened`` where given: the registry's native-or-portable path, since a kernel
    that declined the half inputs may take them in float32).

    The common call (every argument an array of a known real dtype, none of them half)
    takes one loop of dictionary lookups (``_known_half``); anything else, and every call
    while ``torch.compile`` traces, goes through ``check_array_arguments``, which raises
    the errors.
    """
    if tracing():  # no cache is read while torch.compile traces (``_compat.cached``)
        half = _checked_half(loss, fn, args, kwargs, scalars)
    else:
        try:
            half = _known_half(args, kwargs)
        except (AttributeError, KeyError, TypeError):  # not an array, a new or unhashable dtype
            half = _checked_half(loss, fn, args, kwargs, scalars)
    if not half:
        return fn(*args, **kwargs)
    return _call_in_float32(fn if widened is None else widened, args, kwargs)


def _known_half(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bool:
    """Whether an argument is in half precision, every argument an array of a dtype seen
    before (``KeyError`` otherwise, and for a complex one; ``AttributeError`` for a
    non-array)."""
    half = False
    for x in args:
        dtype = x.dtype
        kind = _KINDS[(type(dtype), dtype)]
        if kind == "half":
            half = True
        elif kind == "complex":
            raise KeyError(kind)
    for v in kwargs.values():
        if _is_half(v):
            half = True
    return half


def _checked_half(
    loss: str,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    scalars: tuple[str, ...],
) -> bool:
    """``check_array_arguments`` (which raises on a bad argument), then whether an
    argument is in half precision."""
    kinds = check_array_arguments(loss, fn, args, scalars)
    return "half" in kinds or any(_is_half(v) for v in kwargs.values())


def _is_half(x: Any) -> bool:
    if isinstance(x, (int, float)):  # also a float that torch.compile traces as a symbol
        return False  # (it has no attributes to ask for)
    dtype = getattr(x, "dtype", None)
    return dtype is not None and dtype_kind(dtype) == "half"


def _call_in_float32(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> Any:
    """Run ``fn`` with its half-precision arrays in float32; the result in their dtype.

    Only when every floating array is in one half dtype: a float32/float64 array among
    them (or float16 next to bfloat16) already promotes the loss to float32 or wider.
    """
    values = [*args, *kwargs.values()]
    floats = {a.dtype for a in values if dtype_kind(getattr(a, "dtype", None)) in ("half", "float")}
    if len(floats) != 1:
        return fn(*args, **kwargs)
    (half,) = floats
    xp = namespace_of(next(a for a in values if _is_half(a)))  # cached: nothing for Dynamo

    def wide(x: Any) -> Any:
        return xp.astype(x, xp.float32) if _is_half(x) else x

    out = fn(*(wide(a) for a in args), **{k: wide(v) for k, v in kwargs.items()})
    return xp.astype(out, half)
