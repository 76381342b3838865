"""The multiclass module's own rules: label checks, the -1 end marker, the sparsemax gradient.

The matrix (``tests/cases/multiclass.py``) compares values and gradients with float64
references and natives; here what it cannot say: the gradient of ``sparsemax`` equals
``sparsemax(z) - e_y`` (the paper's closed form) also where finite differences fail
(ties at 1e4), bad labels raise where checked and give NaN where not, and the
written-out gradient of ``multilabel_margin`` under ``torch.compile`` is autograd's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import anyloss
from tests._backends import Backend
from tests.cases.multiclass import _sparsemax, _sparsemax_extreme, _sparsemax_ties

INDEX_LOSSES = ("generalized_cross_entropy", "sparsemax", "multiclass_perceptron")


def _closed_form_gradient(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d mean(loss) / dz = (sparsemax(z) - onehot(y)) / N."""
    p = np.stack([_sparsemax(row)[0] for row in z])
    return (p - np.eye(z.shape[1])[y]) / len(z)


@pytest.mark.parametrize("make", [_sparsemax_ties, _sparsemax_extreme], ids=["ties", "1e4"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sparsemax_gradient_is_projection_minus_one_hot(
    make: Any, dtype: str, grad_backend: Backend
) -> None:
    z, y = make(np.random.default_rng(0))
    labels = grad_backend.asarray(y, "int64")

    def f(x: Any) -> Any:
        return anyloss.sparsemax(x, labels)

    _, (g,) = grad_backend.value_and_grad(f, [grad_backend.asarray(z, dtype)])
    want = _closed_form_gradient(z, y)
    np.testing.assert_allclose(g, want, atol=1e-12 if dtype == "float64" else 1e-6)


def _bad_label_inputs(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (4, 3), labels with 3 and -1 out of range at rows 1 and 3, and good labels."""
    x = np.random.default_rng(0).uniform(0.1, 1.0, (4, 3))
    if name == "generalized_cross_entropy":
        x = x / x.sum(axis=-1, keepdims=True)
    return x, np.array([0, 3, 2, -1]), np.array([0, 2, 2, 0])


@pytest.mark.parametrize("name", INDEX_LOSSES)
def test_bad_labels_raise_where_checked_and_give_nan_elsewhere(name: str, backend: Backend) -> None:
    x, bad, good = _bad_label_inputs(name)
    fn = getattr(anyloss, name)
    xs = backend.asarray(x, "float64")
    if backend.name != "dask":  # dask is lazy: never checked
        with pytest.raises(ValueError, match="class labels"):
            fn(xs, backend.asarray(bad, "int64"))
    with anyloss.value_checks(False):
        got = backend.to_numpy(fn(xs, backend.asarray(bad, "int64"), reduction="none"))
    ref = backend.to_numpy(fn(xs, backend.asarray(good, "int64"), reduction="none"))
    assert np.isnan(got[[1, 3]]).all(), got
    np.testing.assert_allclose(got[[0, 2]], ref[[0, 2]], rtol=1e-12)


def test_multilabel_margin_bad_label_before_the_end_marker(backend: Backend) -> None:
    s = backend.asarray(np.random.default_rng(0).normal(size=(3, 4)), "float64")
    t = np.array([[0, 1, -1, -1], [0, 4, -1, -1], [2, -2, -1, -1]])
    fn = anyloss.multilabel_margin
    if backend.name != "dask":
        with pytest.raises(ValueError, match="class labels"):
            fn(s, backend.asarray(t, "int64"))
    with anyloss.value_checks(False):
        got = backend.to_numpy(fn(s, backend.asarray(t, "int64"), reduction="none"))
    assert np.isfinite(got[0]), got
    assert np.isnan(got[1:]).all(), got


def test_multilabel_margin_ignores_everything_after_the_first_end_marker() -> None:
    """torch range-checks entries after the first -1; the catalog ignores them."""
    s = np.array([[0.1, 0.2, 0.4, 0.8]])
    listed = anyloss.multilabel_margin(s, np.array([[3, 0, -1, 7]]))
    assert float(listed) == float(anyloss.multilabel_margin(s, np.array([[3, 0, -1, -1]])))
    assert float(anyloss.multilabel_margin(s, np.array([[-1, 0, 1, 2]]))) == 0.0


def test_multilabel_margin_target_must_be_integer() -> None:
    with pytest.raises(ValueError, match="integer"):
        anyloss.multilabel_margin(np.zeros((2, 3)), np.zeros((2, 3)))


@pytest.mark.parametrize("name", ["sparsemax", "multiclass_perceptron"])
def test_probability_targets_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="integer class indices"):
        getattr(anyloss, name)(np.zeros((2, 3)), np.full((2, 3), 1 / 3))


def test_perceptron_targets_must_be_signs() -> None:
    with pytest.raises(ValueError, match=r"target values must be one of -1\.0, 1\.0"):
        anyloss.perceptron(np.zeros(3), np.array([1.0, 0.0, -1.0]))


def test_generalized_cross_entropy_probabilities_in_unit_interval() -> None:
    with pytest.raises(ValueError, match="probs"):
        anyloss.generalized_cross_entropy(np.array([[1.5, -0.5]]), np.array([0]))


def test_generalized_cross_entropy_limits() -> None:
    """q -> 0 is the cross-entropy -log p_y; q = 1 is 1 - p_y."""
    p, y = np.array([[0.2, 0.3, 0.5]]), np.array([1])
    near_ce = float(anyloss.generalized_cross_entropy(p, y, q=1e-9))
    np.testing.assert_allclose(near_ce, -np.log(0.3), rtol=1e-8)
    assert float(anyloss.generalized_cross_entropy(p, y, q=1.0)) == pytest.approx(0.7, abs=1e-15)


def test_multilabel_margin_compiled_gradient_is_autograds() -> None:
    """Under ``torch.compile`` the gradient is written out (``compiled_custom_gradient``):
    it equals eager autograd's, on the class axis 1 of a 3-D input, with a class listed
    twice, a NaN and a -inf score and a tie at a hinge's kink (Dynamo only, no inductor)."""
    torch = pytest.importorskip("torch")
    s = torch.tensor(np.random.default_rng(0).normal(size=(3, 4, 2)))
    s[0, 1, 0], s[1, 2, 1], s[2, 0, 0], s[2, 3, 0] = np.nan, -np.inf, 0.5, 1.5
    t = torch.tensor([[[1, 2], [1, -1], [3, 0], [-1, 0]]] * 3)  # lists along axis 1

    def loss(x: Any) -> Any:
        return anyloss.multilabel_margin(x, t, axis=1, reduction="sum")

    grads = []
    for fn in (loss, torch.compile(loss, fullgraph=True, backend="eager")):
        x = s.clone().requires_grad_(True)
        fn(x).backward()
        grads.append(x.grad)
    np.testing.assert_array_equal(grads[1].numpy(), grads[0].numpy())
