"""The value-checks switch (``anyloss.value_checks`` / ``set_value_checks``)."""

from __future__ import annotations

import numpy as np
import pytest

import anyloss
from tests._backends import Backend

LOSSES_WITH_LABELS = (
    "cross_entropy",
    "nll",
    "softmax_focal",
    "poly1_cross_entropy",
    "multi_margin",
)


@pytest.mark.parametrize("name", LOSSES_WITH_LABELS)
def test_checks_off_give_nan_for_a_bad_label(name: str, backend: Backend) -> None:
    """Unchecked, an out-of-range label gives NaN for its sample, never a finite value;
    the other samples keep their loss."""
    x = np.random.default_rng(0).standard_normal((4, 3))
    labels = np.array([0, 3, 2, -1])
    logits = backend.asarray(x, "float64")
    good = backend.asarray(labels.clip(0, 2), "int64")
    fn = getattr(anyloss, name)
    with anyloss.value_checks(False):
        got = backend.to_numpy(fn(logits, backend.asarray(labels, "int64"), reduction="none"))
        mean = backend.to_numpy(fn(logits, backend.asarray(labels, "int64")))
    ref = backend.to_numpy(fn(logits, good, reduction="none"))
    assert np.isnan(got[[1, 3]]).all(), got
    np.testing.assert_allclose(got[[0, 2]], ref[[0, 2]], rtol=1e-12)
    assert np.isnan(mean)


def test_lovasz_softmax_unchecked_bad_label_is_nan(backend: Backend) -> None:
    p = np.full((2, 4, 3), 1 / 3)
    labels = np.array([[0, 1, 2, 7], [0, 0, 1, 1]])
    with anyloss.value_checks(False):
        out = anyloss.lovasz_softmax(
            backend.asarray(p, "float64"), backend.asarray(labels, "int64")
        )
    assert np.isnan(backend.to_numpy(out))


def test_checks_on_by_default_on_the_host() -> None:
    with pytest.raises(ValueError, match="class labels"):
        anyloss.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))


def test_set_value_checks_returns_the_old_mode_and_validates() -> None:
    old = anyloss.set_value_checks(False)
    try:
        assert anyloss.set_value_checks(True) is False
    finally:
        anyloss.set_value_checks(old)
    assert old == "auto"
    with pytest.raises(ValueError, match="auto"):
        anyloss.set_value_checks("sometimes")  # type: ignore[arg-type]
