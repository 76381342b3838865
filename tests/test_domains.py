"""Value domains of the catalog-v2 losses that have one, checked on eager arrays only."""

from __future__ import annotations

import math

import numpy as np
import pytest

import anyloss
from tests._backends import Backend

P = np.array([0.5, 1.0, 2.0])


@pytest.mark.parametrize(
    ("power", "pred", "target", "bad"),
    [
        (1.5, [0.5, 0.0, 2.0], [1.0, 1.0, 1.0], "pred"),
        (3.0, [0.5, -1.0, 2.0], [1.0, 1.0, 1.0], "pred"),
        (1.0, P, [1.0, -0.5, 1.0], "target"),
        (2.0, P, [1.0, 0.0, 1.0], "target"),
    ],
)
def test_tweedie_domain(power: float, pred: list[float], target: list[float], bad: str) -> None:
    with pytest.raises(ValueError, match=rf"{bad} must be"):
        anyloss.tweedie_deviance(np.asarray(pred), np.asarray(target), power=power)


def test_tweedie_power0_takes_any_reals() -> None:
    pred, target = np.array([-1.0, 0.0, 2.0]), np.array([0.5, -3.0, 2.0])
    assert float(anyloss.tweedie_deviance(pred, target, power=0)) == pytest.approx(11.25 / 3)


def test_tweedie_zero_target_below_power2() -> None:
    """``target = 0`` is in the domain for 1 <= power < 2: the deviance is ``2 p^(2-q)/(2-q)``."""
    out = anyloss.tweedie_deviance(np.array([2.0]), np.array([0.0]), power=1.5, reduction="sum")
    assert float(out) == pytest.approx(2 * 2.0**0.5 / 0.5)


def test_unchecked_values_give_nan_under_jit(jax_backend: Backend) -> None:
    import jax

    pred = jax_backend.asarray(np.array([-1.0, 1.0]), "float64")
    target = jax_backend.asarray(np.array([1.0, 1.0]), "float64")
    out = jax.jit(lambda p, t: anyloss.tweedie_deviance(p, t, power=1.5))(pred, target)
    assert math.isnan(float(out))


def test_ranking_labels_must_be_non_negative_where_valid() -> None:
    scores, labels = np.zeros((2, 3)), np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    with pytest.raises(ValueError, match="labels must be >= 0"):
        anyloss.ranking_softmax(scores, labels)
    where = labels >= 0  # padding labelled -1, masked: allowed
    assert np.isfinite(anyloss.ranking_softmax(scores, labels, where=where))


def test_ranking_where_must_be_boolean_of_the_scores_shape() -> None:
    scores, labels = np.zeros((2, 3)), np.ones((2, 3))
    with pytest.raises(ValueError, match="where"):
        anyloss.ranking_softmax(scores, labels, where=np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"where.*\(2, 3\)|\(2, 3\).*where"):
        anyloss.ranking_softmax(scores, labels, where=np.ones((3,), dtype=bool))
