"""``array_api_compat.numpy`` with its Python-level wrappers cut short: the namespace a loss
gets for NumPy arrays.

A loss on small NumPy arrays spends more time in Python than in arithmetic: ``np.sum``,
``np.max``, ``np.any``, ``np.mean``, ``np.expand_dims``, ``np.zeros_like``, ``np.isdtype``
and array_api_compat's wrappers around ``astype``, ``asarray`` and the ``*_like``
functions each spend up to a few microseconds on argument handling before the C call
they end in. Here, for a plain ``numpy.ndarray``, each takes the steps NumPy itself takes
for one (``np.add.reduce``, ``ndarray.reshape``, ``empty_like`` and a fill, ``np.mean``'s
sum and division) without the handling around them, and ``isdtype`` is remembered per
dtype: the same values, dtypes and shapes, bit for bit (``tests/test_lean_numpy.py``
compares every function with array_api_compat's). Anything else (NumPy scalars,
subclasses, other keywords, a device) goes to the original function; every other
function is array_api_compat's own.
"""

from __future__ import annotations

import types
from typing import Any

import array_api_compat.numpy
import numpy as np

__all__ = ["namespace"]

compat: Any = array_api_compat.numpy
_ndarray = np.ndarray
_add: Any = np.add
_empty_like, _copyto, _intp, _true_divide = np.empty_like, np.copyto, np.intp, np.true_divide
_arange = np.arange
_MEAN_DTYPES = frozenset({np.dtype(np.float32), np.dtype(np.float64)})
"""Dtypes ``np.mean`` sums and divides in without a change of dtype (not float16, not
integers)."""


def _sum(x: Any, /, axis: Any = None, dtype: Any = None, keepdims: bool = False, **kw: Any) -> Any:
    if type(x) is _ndarray and not kw:
        return _add.reduce(x, axis, dtype, None, keepdims=keepdims)
    return np.sum(x, axis=axis, dtype=dtype, keepdims=keepdims, **kw)


def _reduction(ufunc: Any, original: Any, dtype: Any = None) -> Any:
    """``original`` (``np.max``, ``np.any``, ...) as the ``ufunc.reduce`` it calls for an
    ndarray (``dtype``: ``bool`` for ``any``/``all``, as NumPy passes)."""
    reduce = ufunc.reduce

    def reduction(x: Any, /, axis: Any = None, keepdims: bool = False, **kw: Any) -> Any:
        if type(x) is _ndarray and not kw:
            return reduce(x, axis, dtype, None, keepdims=keepdims)
        return original(x, axis=axis, keepdims=keepdims, **kw)

    return reduction


def _mean(x: Any, /, axis: Any = None, dtype: Any = None, keepdims: bool = False, **kw: Any) -> Any:
    """``np.mean``'s own steps (``numpy._core._methods._mean``) for a non-empty float32 or
    float64 array: the sum, then a division by the count as an ``intp``."""
    if type(x) is not _ndarray or kw or dtype is not None or x.dtype not in _MEAN_DTYPES:
        return np.mean(x, axis=axis, dtype=dtype, keepdims=keepdims, **kw)
    size = x.size
    if size == 0 or x.ndim == 0:  # NaN and NumPy's warning; an axis of a 0-d array
        return np.mean(x, axis=axis, keepdims=keepdims)
    total = _add.reduce(x, axis, None, None, keepdims=keepdims)
    if type(total) is _ndarray:
        if total.size == 0:
            return np.mean(x, axis=axis, keepdims=keepdims)
        return _true_divide(
            total, _intp(size // total.size), out=total, casting="unsafe", subok=False
        )
    return total.dtype.type(float(total) / size)  # as NumPy: divided in float64, rounded once


def _expand_dims(x: Any, /, axis: Any = 0) -> Any:
    if type(x) is _ndarray and type(axis) is int:
        ndim = x.ndim
        if -ndim - 1 <= axis <= ndim:
            ax = axis % (ndim + 1)
            shape = x.shape
            return x.reshape((*shape[:ax], 1, *shape[ax:]))
    return np.expand_dims(x, axis)


def _squeeze(x: Any, /, axis: Any) -> Any:
    if type(x) is _ndarray:
        return x.squeeze(axis=axis)
    return np.squeeze(x, axis=axis)


def _reshape(x: Any, /, shape: Any, **kw: Any) -> Any:
    if type(x) is _ndarray and not kw:
        return x.reshape(shape)
    return np.reshape(x, shape, **kw)


def _astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    if type(x) is _ndarray and device is None:
        return x.astype(dtype, copy=copy)
    return compat.astype(x, dtype, copy=copy, device=device)


def _asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, copy: Any = None) -> Any:
    if copy is None and (device is None or (type(device) is str and device == "cpu")):
        return np.asarray(obj, dtype=dtype)
    return compat.asarray(obj, dtype=dtype, device=device, copy=copy)


def _filled(x: Any, value: Any, dtype: Any, device: Any) -> Any:
    """``np.*_like``'s steps (``empty_like``, then a fill) for a plain ndarray; else None."""
    if type(x) is not _ndarray or device is not None:
        return None
    out = _empty_like(x, dtype)
    out.fill(value)
    return out


def _zeros_like(x: Any, /, *, dtype: Any = None, device: Any = None) -> Any:
    out = _filled(x, 0, dtype, device)
    return compat.zeros_like(x, dtype=dtype, device=device) if out is None else out


def _ones_like(x: Any, /, *, dtype: Any = None, device: Any = None) -> Any:
    out = _filled(x, 1, dtype, device)
    return compat.ones_like(x, dtype=dtype, device=device) if out is None else out


def _full_like(x: Any, /, fill_value: Any, *, dtype: Any = None, device: Any = None) -> Any:
    if type(x) is not _ndarray or device is not None:
        return compat.full_like(x, fill_value, dtype=dtype, device=device)
    out = _empty_like(x, dtype)
    _copyto(out, fill_value, casting="unsafe")  # np.full_like's own steps
    return out


_ISDTYPE: dict[tuple[Any, Any, Any], bool] = {}


def _isdtype(dtype: Any, kind: Any) -> bool:
    """``isdtype``, worked out once per dtype and kind."""
    key = (type(dtype), dtype, kind)
    try:
        return _ISDTYPE[key]
    except KeyError:
        hit = _ISDTYPE[key] = bool(compat.isdtype(dtype, kind))
        return hit
    except TypeError:  # unhashable
        return bool(compat.isdtype(dtype, kind))


def _take_along_axis(x: Any, indices: Any, /, *, axis: int = -1) -> Any:
    """``np.take_along_axis``'s fancy index (``_make_along_axis_idx``: ``indices`` on
    ``axis``, an ``arange`` on every other axis) without its checks' Python, for integer
    ``indices`` of ``x``'s rank and an ``axis`` in range; anything else goes to NumPy,
    which raises its errors."""
    ndim = x.ndim if type(x) is _ndarray else -1
    if type(indices) is not _ndarray or indices.ndim != ndim or indices.dtype.kind not in "iu":
        if type(x) is _ndarray:
            return np.take_along_axis(x, indices, axis=axis)
        return compat.take_along_axis(x, indices, axis=axis)
    if type(axis) is not int or not -ndim <= axis < ndim:
        return np.take_along_axis(x, indices, axis=axis)
    axis %= ndim
    ones = (1,) * ndim
    index = [
        indices if dim == axis else _arange(n).reshape((*ones[:dim], -1, *ones[dim + 1 :]))
        for dim, n in enumerate(x.shape)
    ]
    return x[tuple(index)]


namespace = types.ModuleType(compat.__name__, compat.__doc__)
"""array_api_compat's NumPy namespace (its ``__name__`` too), with the functions above."""
namespace.__dict__.update(vars(compat))
namespace.__dict__.update(
    sum=_sum,
    max=_reduction(np.maximum, np.max),
    min=_reduction(np.minimum, np.min),
    any=_reduction(np.logical_or, np.any, bool),
    all=_reduction(np.logical_and, np.all, bool),
    mean=_mean,
    expand_dims=_expand_dims,
    squeeze=_squeeze,
    reshape=_reshape,
    astype=_astype,
    asarray=_asarray,
    zeros_like=_zeros_like,
    ones_like=_ones_like,
    full_like=_full_like,
    isdtype=_isdtype,
    take_along_axis=_take_along_axis,
)
