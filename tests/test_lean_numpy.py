"""The lean NumPy namespace (``anyloss._lean_numpy``) gives what array_api_compat's gives.

Each replaced function against array_api_compat's own, on plain arrays of every dtype
kind (0-d and empty ones too), NumPy scalars and a subclass (which take the original
path): equal values, dtypes, shapes and types, bit for bit; errors where it errs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import array_api_compat.numpy as compat
import numpy as np
import pytest

from anyloss._compat import lean, namespace_of
from anyloss._lean_numpy import namespace as fast

_RNG = np.random.default_rng(0)
_ARRAYS = {
    "float32": _RNG.standard_normal((3, 4, 5)).astype(np.float32),
    "float64": _RNG.standard_normal((7, 6)),
    "float16": _RNG.standard_normal((2, 9)).astype(np.float16),
    "int64": _RNG.integers(-5, 5, (4, 3)),
    "int8": _RNG.integers(-5, 5, (5,)).astype(np.int8),
    "bool": _RNG.random((3, 3)) > 0.5,
    "0-d": np.asarray(1.5, dtype=np.float32),
    "empty": np.zeros((0, 3)),
    "fortran": np.asfortranarray(_RNG.standard_normal((4, 5)).astype(np.float32)),
    "scalar": np.float32(2.5),
    "masked": np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]),
}
_AXES: list[dict[str, Any]] = [{}, {"axis": 0}, {"axis": -1}, {"axis": (0, 1)}]


def _same(got: Any, want: Any) -> None:
    assert type(got) is type(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert np.shape(got) == np.shape(want)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want), strict=True)


def _outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn``'s result, or the type of the exception it raised (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # compared by type
            return type(exc)


def _compare(name: str, *args: Any, **kwargs: Any) -> None:
    got = _outcome(getattr(fast, name), *args, **kwargs)
    want = _outcome(getattr(compat, name), *args, **kwargs)
    if isinstance(want, type):
        assert got is want, f"{name}: raised {want.__name__}, lean gave {got!r}"
    else:
        _same(got, want)


@pytest.mark.parametrize("name", ["sum", "max", "min", "any", "all", "mean"])
@pytest.mark.parametrize("kind", list(_ARRAYS))
def test_reductions(name: str, kind: str) -> None:
    x = _ARRAYS[kind]
    for axis in _AXES:
        for keepdims in (False, True):
            _compare(name, x, keepdims=keepdims, **axis)


def test_sum_with_dtype() -> None:
    _compare("sum", _ARRAYS["int8"], dtype=np.int8)
    _compare("sum", _ARRAYS["float32"], axis=1, dtype=np.float64)


@pytest.mark.parametrize("kind", ["float32", "float64", "bool", "0-d", "empty", "scalar"])
def test_shapes(kind: str) -> None:
    x = _ARRAYS[kind]
    for axis in (0, 1, -1, -2, x.ndim, x.ndim + 1, -x.ndim - 2):
        _compare("expand_dims", x, axis=axis)
    for axis in (0, -1, (0,)):
        _compare("squeeze", fast.expand_dims(x, axis=0), axis=axis)
        _compare("squeeze", x, axis=axis)  # an error unless that axis has size 1
    _compare("reshape", x, (-1,))
    _compare("reshape", x, (1, -1), copy=True)


@pytest.mark.parametrize("kind", ["float32", "int64", "bool", "0-d", "fortran", "scalar", "masked"])
def test_creation(kind: str) -> None:
    x = _ARRAYS[kind]
    for dtype in (None, np.float64, np.int32):
        _compare("zeros_like", x, dtype=dtype)
        _compare("ones_like", x, dtype=dtype)
        _compare("full_like", x, 2.5, dtype=dtype)
        _compare("astype", x, dtype or np.float32)
    for value in (math.nan, math.inf, -1, 2**70, True):  # casts as NumPy casts them
        _compare("full_like", x, value, dtype=np.uint8)
    _compare("zeros_like", x, device="cpu")
    _compare("astype", x, np.float32, copy=False)
    for order in ("C", "F"):
        assert (
            fast.zeros_like(x).flags[f"{order}_CONTIGUOUS"]
            == np.zeros_like(x).flags[f"{order}_CONTIGUOUS"]
        )


def test_asarray() -> None:
    for obj in (1.5, [1, 2], _ARRAYS["float32"], np.float32(3)):
        for dtype in (None, np.float32, np.int64):
            _compare("asarray", obj, dtype=dtype)
            _compare("asarray", obj, dtype=dtype, device="cpu")
            _compare("asarray", obj, dtype=dtype, copy=True)
    assert fast.asarray(_ARRAYS["float64"]) is _ARRAYS["float64"]  # no copy unless needed


def test_isdtype_and_take_along_axis() -> None:
    for x in _ARRAYS.values():
        for kind in ("integral", "real floating", "bool", ("integral", "bool")):
            assert fast.isdtype(x.dtype, kind) == compat.isdtype(x.dtype, kind)
    idx = _RNG.integers(0, 6, (7, 2))
    _compare("take_along_axis", _ARRAYS["float64"], idx, axis=1)
    _compare("take_along_axis", _ARRAYS["float64"], idx, axis=-1)


_CUBE = _ARRAYS["float32"]  # (3, 4, 5)
_TAKES = [  # (indices, axis): every axis, broadcast indices, negative and bad ones
    (_RNG.integers(0, 3, (2, 4, 5)), 0),
    (_RNG.integers(0, 4, (3, 1, 5)), 1),
    (_RNG.integers(0, 4, (3, 6, 1)), -2),
    (_RNG.integers(-5, 5, (3, 4, 2)), 2),
    (_RNG.integers(0, 5, (1, 1, 1)).astype(np.int32), -1),
    (_RNG.integers(0, 5, (3, 4, 1)).astype(np.uint8), 2),
    (np.full((3, 4, 1), 5), 2),  # out of range
    (np.zeros((3, 4, 1), dtype=bool), 2),  # not integers
    (np.zeros((3, 4, 1)), 2),  # floats
    (np.zeros((3, 4), dtype=np.int64), 1),  # rank differs
    (np.zeros((3, 4, 1), dtype=np.int64), 3),  # axis out of range
    (np.zeros((3, 4, 1), dtype=np.int64), None),
    (np.zeros((0, 4, 1), dtype=np.int64), 2),  # empty
]


@pytest.mark.parametrize(("indices", "axis"), _TAKES)
def test_take_along_axis_cases(indices: Any, axis: Any) -> None:
    """The lean fancy index against array_api_compat's ``take_along_axis`` (NumPy's)."""
    _compare("take_along_axis", _CUBE, indices, axis=axis)
    _compare("take_along_axis", _ARRAYS["fortran"], indices[..., 0], axis=axis)


def test_numpy_arrays_get_the_lean_namespace() -> None:
    assert namespace_of(np.zeros(2)) is fast
    assert lean(compat) is fast
    assert fast.__name__ == compat.__name__
    assert fast.exp is compat.exp  # the rest is compat's
    assert fast.linalg is compat.linalg
