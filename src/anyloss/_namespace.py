"""Resolve the array namespace, device and floating dtype of a loss's inputs.

Every loss starts here: the arrays it was given (``None`` and Python scalars are
ignored) must come from one array library and sit on one device. The result of the
loss lives in that namespace, on that device, in the floating dtype the inputs
promote to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import array_api_compat

from ._compat import array_kind, cached, device_of, lean, namespace_of
from ._validation import check_same_shape

__all__ = ["Namespace", "resolve", "resolve_floats"]

_SCALARS = (bool, int, float, complex)


@dataclass(frozen=True)
class Namespace:
    """The namespace ``xp``, device and floating ``dtype`` shared by a loss's inputs."""

    xp: Any
    device: Any
    dtype: Any

    def float(self, x: Any) -> Any:
        """``x`` in the resolved floating dtype (no copy, autograd preserved).

        Python scalars and ``None`` pass through unchanged; arrays are cast with
        ``xp.astype(..., copy=False)``, never ``xp.asarray``, which can detach a
        torch tensor from autograd.
        """
        if x is None or isinstance(x, _SCALARS):
            return x
        if x.dtype == self.dtype:
            return x
        return self.xp.astype(x, self.dtype, copy=False)

    @property
    def wide_dtype(self) -> Any:
        """The dtype sums, sorts and log/exp compositions run in: float32 for half
        precision (its range), else the float dtype."""
        return self.xp.float32 if self.xp.finfo(self.dtype).bits < 32 else self.dtype

    def widen(self, x: Any) -> Any:
        """``x`` in ``wide_dtype`` (Python numbers pass through).

        The registry already runs half-precision calls in float32; this keeps a loss
        wide when its body is called directly (``spec.fn``: ``anyloss.mean_parts``,
        the Keras losses).
        """
        if isinstance(x, _SCALARS) or x.dtype == self.wide_dtype:
            return x
        return self.xp.astype(x, self.wide_dtype)

    def narrow(self, x: Any) -> Any:
        """``x`` back in the float dtype (the inverse of ``widen``)."""
        if isinstance(x, _SCALARS) or x.dtype == self.dtype:
            return x
        return self.xp.astype(x, self.dtype)

    def constant(self, value: Any, dtype: Any = None) -> Any:
        """A constant array with an explicit dtype (default: the float dtype) and device."""
        return self.xp.asarray(
            value, dtype=self.dtype if dtype is None else dtype, device=self.device
        )


def resolve(*args: Any) -> Namespace:
    """Return the common namespace, device and floating dtype of ``args``.

    Parameters
    ----------
    *args
        The loss's array arguments, in order. ``None`` and Python scalars are ignored.

    Raises
    ------
    TypeError
        If the arrays come from two different array libraries (the message names both),
        or if no argument is an array.
    ValueError
        If the arrays sit on two different devices (the message names both).
    """
    key: tuple[Any, ...] = ()
    for a in args:  # a loop, not comprehensions: this runs on every call
        if a is not None and not isinstance(a, _SCALARS):
            key += (type(a), getattr(a, "dtype", None))
    xp, dtype, fixed = cached(_SIGNATURES, key, _signature, args)
    if fixed is not None:
        return fixed
    device = _common_device(args, _arrays(args))
    if dtype is None:  # no floating array: the default, which can change at run time
        dtype = xp.__array_namespace_info__().default_dtypes(device=device)["real floating"]
    return Namespace(xp, device, dtype)


_FIXED_DEVICES = {"numpy": "cpu"}
"""Libraries whose arrays all sit on one device (``device_of`` answers it without reading)."""
_SIGNATURES: dict[tuple[Any, ...], tuple[Any, Any, Namespace | None]] = {}
"""The type and dtype of each array argument → their namespace, their floating dtype
(None: none is floating) and, where the types fix the device too, the whole
``Namespace``. What depends only on types is worked out once per signature; the device
(and the default dtype, which torch lets a user change) is read on every call."""


def _arrays(args: tuple[Any, ...]) -> list[Any]:
    return [a for a in args if a is not None and not isinstance(a, _SCALARS)]


def _signature(args: tuple[Any, ...]) -> Any:
    """The namespace, float dtype and fixed ``Namespace`` of the arrays in ``args``."""
    arrays = _arrays(args)
    if not arrays:
        raise TypeError("a loss needs at least one array argument; got only scalars or None")
    try:
        xp = _common_namespace(arrays)
    except TypeError:
        _explain_mixed(args)
        raise
    dtype = _float_dtype(xp, arrays)
    kinds = {array_kind(a) for a in arrays}
    device = _FIXED_DEVICES.get(kinds.pop()) if len(kinds) == 1 else None
    fixed = None if device is None or dtype is None else Namespace(xp, device, dtype)
    return xp, dtype, fixed


def _common_device(args: tuple[Any, ...], arrays: list[Any]) -> Any:
    """The device of ``arrays``; ``ValueError`` naming two arguments on different ones."""
    device = device_of(arrays[0])
    for a in arrays[1:]:
        dev = device_of(a)
        if dev != device and dev is not None and device is not None:  # None: a jax tracer
            first, i = _position(args, arrays[0]), _position(args, a)
            raise ValueError(
                f"inputs sit on different devices: argument {first} on {device}, "
                f"argument {i} on {dev}; move them to one device first"
            )
    return device


def _common_namespace(arrays: list[Any]) -> Any:
    """The namespace of ``arrays``: looked up once per array type (``_compat.namespace_of``);
    where two differ, array_api_compat decides (and raises ``TypeError`` if it must)."""
    xp = namespace_of(arrays[0])
    if all(namespace_of(a) is xp for a in arrays[1:]):
        return xp
    return lean(array_api_compat.array_namespace(*arrays))


def _position(args: tuple[Any, ...], x: Any) -> int:
    return next(i for i, a in enumerate(args) if a is x)


def _explain_mixed(args: tuple[Any, ...]) -> None:
    """Raise a ``TypeError`` naming the first two arguments that do not go together."""
    first: tuple[int, Any, Any] | None = None
    for i, a in enumerate(args):
        if a is None or isinstance(a, _SCALARS):
            continue
        try:
            xp = array_api_compat.array_namespace(a)
        except TypeError as exc:
            raise TypeError(
                f"argument {i} is a {type(a).__name__}, not an array of a supported library "
                "(numpy, cupy, torch, jax, dask, array-api-strict)"
            ) from exc
        if first is None:
            first = (i, a, xp)
        elif xp is not first[2]:
            raise TypeError(
                f"inputs come from different array libraries: argument {first[0]} is "
                f"{array_kind(first[1])}, argument {i} is {array_kind(a)}; "
                "convert them to one library first"
            )


def _float_dtype(xp: Any, arrays: list[Any]) -> Any:
    """The dtype the floating arrays promote to; None if none is floating."""
    floats = [a.dtype for a in arrays if xp.isdtype(a.dtype, "real floating")]
    if not floats:
        return None
    first = floats[0]
    return first if all(d == first for d in floats) else xp.result_type(*floats)


def resolve_floats(*arrays: Any, names: tuple[str, ...]) -> tuple[Namespace, list[Any]]:
    """Resolve ``arrays``, check that they share one shape, cast them to the float dtype.

    The common entry of elementwise losses: ``ValueError`` names both shapes when any
    array's shape differs from the first one's (no broadcasting).
    """
    ns = resolve(*arrays)
    first, dtype = arrays[0], ns.dtype
    shape = first.shape
    for a, name in zip(arrays[1:], names[1:], strict=False):
        if a.shape != shape:  # the full comparison (and its message) only where they differ
            check_same_shape(first, a, names[0], name)
    return ns, [a if a.dtype == dtype else ns.float(a) for a in arrays]
