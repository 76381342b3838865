"""The named backend gaps (``anyloss._compat``) and the resolver, on every selected backend."""

from __future__ import annotations

import numpy as np
import pytest

from anyloss._compat import one_hot, take_along_axis
from anyloss._namespace import resolve
from tests._backends import Backend


def test_take_along_axis_gathers_labels(backend: Backend) -> None:
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[1], [3], [0]])
    got = take_along_axis(
        backend.asarray(x, "float64"), backend.asarray(idx, "int64"), backend.xp, axis=1
    )
    np.testing.assert_array_equal(backend.to_numpy(got), [[1.0], [7.0], [8.0]])


def test_take_along_axis_channels_first(backend: Backend) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    idx = np.random.default_rng(1).integers(0, 3, (2, 1, 4))
    got = take_along_axis(
        backend.asarray(x, "float64"), backend.asarray(idx, "int64"), backend.xp, axis=1
    )
    np.testing.assert_array_equal(backend.to_numpy(got), np.take_along_axis(x, idx, axis=1))


def test_one_hot(backend: Backend) -> None:
    xp = backend.xp
    got = one_hot(backend.asarray(np.array([2, 0]), "int64"), 3, xp, dtype=xp.float64)
    np.testing.assert_array_equal(backend.to_numpy(got), [[0, 0, 1], [1, 0, 0]])


def test_resolve_promotes_floats_and_ignores_scalars(backend: Backend) -> None:
    xp = backend.xp
    a = backend.asarray(np.ones(2), "float32")
    labels = backend.asarray(np.zeros(2), "int64")
    ns = resolve(a, None, 1.5, labels)
    assert ns.xp is xp
    assert ns.dtype == xp.float32
    assert resolve(labels).dtype in (xp.float32, xp.float64)  # the default float dtype
    assert resolve(a, backend.asarray(np.ones(2), "float64")).dtype == xp.float64


def test_resolve_needs_an_array() -> None:
    with pytest.raises(TypeError, match="at least one array"):
        resolve(1.0, None)


def test_resolve_rejects_lists() -> None:
    with pytest.raises(TypeError, match="list"):
        resolve(np.ones(2), [1.0, 2.0])
