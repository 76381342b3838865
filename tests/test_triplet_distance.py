"""``triplet_margin_with_distance``'s callable hyperparameter through every entry point:
``anyloss.get``, the ``anyloss.torch`` module (pickle, an ``nn.Module`` distance as a
submodule, ``torch.compile``), and the rule that refuses anything but None or a callable.
(No ``anyloss.keras`` class exists for it: Keras losses take two arrays, this one three.)
"""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np
import pytest

import anyloss
from tests.cases.embedding import cosine_distance, ref_triplet_margin_with_distance

torch = pytest.importorskip("torch")
anyloss_torch = pytest.importorskip("anyloss.torch")


def _triplet(n: int = 5, d: int = 3) -> tuple[Any, ...]:
    rng = np.random.default_rng(7)
    return tuple(rng.standard_normal((n, d)) for _ in range(3))


def test_get_binds_a_callable_and_pickles_it_by_reference() -> None:
    a, p, n = _triplet()
    loss = anyloss.get("triplet_margin_with_distance", distance=cosine_distance, margin=0.5)
    assert "cosine_distance" in repr(loss)
    expected = ref_triplet_margin_with_distance(a, p, n, distance=cosine_distance, margin=0.5)
    np.testing.assert_allclose(loss(a, p, n), expected, rtol=1e-12)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(loss))(a, p, n), expected, rtol=1e-12)
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(anyloss.get("triplet_margin_with_distance", distance=lambda x, y: x))


@pytest.mark.parametrize("bad", ["euclidean", 2.0, [cosine_distance]])
def test_distance_must_be_none_or_callable(bad: Any) -> None:
    with pytest.raises(TypeError, match="distance must be None or a callable"):
        anyloss.triplet_margin_with_distance(*_triplet(), distance=bad)
    with pytest.raises(TypeError, match="distance must be None or a callable"):
        anyloss_torch.TripletMarginWithDistanceLoss(distance=bad)


def test_distance_must_return_one_array_shape() -> None:
    with pytest.raises(TypeError, match="must return an array"):
        anyloss.triplet_margin_with_distance(*_triplet(), distance=lambda x, y: 1.0)
    calls = iter([np.zeros(5), np.zeros(4)])
    with pytest.raises(ValueError, match=r"one shape for every pair; got \(5,\) and \(4,\)"):
        anyloss.triplet_margin_with_distance(*_triplet(), distance=lambda x, y: next(calls))


def test_torch_module_with_callable_and_module_distances() -> None:
    import torch.nn.functional as F

    a, p, n = (torch.from_numpy(x).requires_grad_(True) for x in _triplet())
    m = anyloss_torch.TripletMarginWithDistanceLoss(distance=cosine_distance, margin=0.5)
    clone = pickle.loads(pickle.dumps(m))
    theirs = F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=cosine_distance, margin=0.5
    )
    assert torch.allclose(m(a, p, n), theirs)
    assert torch.equal(clone(a, p, n), m(a, p, n))
    distance = torch.nn.PairwiseDistance(p=1.0)
    m1 = anyloss_torch.TripletMarginWithDistanceLoss(distance=distance, swap=True)
    assert m1.distance is distance
    assert "distance" in dict(m1.named_modules())
    theirs1 = F.triplet_margin_with_distance_loss(a, p, n, distance_function=distance, swap=True)
    assert torch.allclose(m1(a, p, n), theirs1)
    assert torch.allclose(pickle.loads(pickle.dumps(m1))(a, p, n), theirs1)


def test_compiled_with_a_callable_equals_eager() -> None:
    """``torch.compile(fullgraph=True)`` traces through the user's distance; no warning."""
    a, p, n = (torch.from_numpy(x).float() for x in _triplet(64, 8))

    def distance(x1: Any, x2: Any) -> Any:
        return 1 - torch.nn.functional.cosine_similarity(x1, x2, dim=-1)

    def f(a: Any, p: Any, n: Any) -> Any:
        return anyloss.triplet_margin_with_distance(a, p, n, distance=distance, swap=True)

    torch._dynamo.reset()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = torch.compile(f, fullgraph=True)(a, p, n)
    assert not [str(w.message) for w in caught if "lru_cache" in str(w.message)]
    assert torch.allclose(compiled, f(a, p, n), rtol=1e-5)
