"""arcface/cosface cosines: a rounding excess beyond ±1 is ±1, anything more an error."""

from __future__ import annotations

import numpy as np
import pytest

import anyloss


@pytest.mark.parametrize("name", ["arcface", "cosface"])
def test_rounding_beyond_one_is_one(name: str) -> None:
    """A float32 product of unit vectors can exceed 1 by a few ulps: taken as exactly ±1."""
    exact = np.array([[1.0, 0.2, -0.3], [0.1, -1.0, 0.5]], np.float32)
    rounded = exact.copy()
    rounded[0, 0] = np.nextafter(np.float32(1), np.float32(2))
    rounded[1, 1] = np.nextafter(np.float32(-1), np.float32(-2))
    target = np.array([0, 1])
    fn = getattr(anyloss, name)
    np.testing.assert_array_equal(
        fn(rounded, target, reduction="none"), fn(exact, target, reduction="none")
    )


@pytest.mark.parametrize("name", ["arcface", "cosface"])
def test_cosine_beyond_rounding_is_an_error(name: str) -> None:
    with pytest.raises(ValueError, match="cosine must lie in"):
        getattr(anyloss, name)(np.array([[1.001, 0.2]], np.float32), np.array([0]))
