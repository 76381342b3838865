"""``ctc``: what the matrix cannot say by itself.

Bad labels and lengths raise ``ValueError`` naming the argument where values are checked,
and give NaN for their sequence where they are not (never a finite wrong number); an
impossible alignment has a zero gradient, with and without ``zero_infinity``, on every
path (torch's own kernel gives NaN there: the delegation adapts).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss import sequence
from anyloss._delegation import delegated
from anyloss._settings import checks_values
from anyloss.sequence import FEW_LABELS, ctc_inputs, few_labels_fit
from tests._backends import Backend

LOGITS = np.random.default_rng(0).standard_normal((3, 6, 5))
TARGETS = np.array([[1, 2, 2], [3, 4, -1], [1, 0, 0]])
FRAMES = np.array([6, 5, 4])
LENGTHS = np.array([3, 2, 1])


def _ctc(*arrays: Any, **kwargs: Any) -> Any:
    return anyloss.ctc(*(arrays or (LOGITS, TARGETS, FRAMES, LENGTHS)), **kwargs)


@pytest.mark.parametrize(
    ("change", "kwargs", "named"),
    [
        ({}, {"blank": 5}, "blank=5"),
        ({1: [[1, 2, 2], [3, 0, -1], [1, 0, 0]]}, {}, "targets"),  # the blank within length
        ({1: [[1, 2, 5], [3, 4, -1], [1, 0, 0]]}, {}, "targets"),  # not a class
        ({1: [[1, 2, 2], [3, 4, -1], [-2, 0, 0]]}, {}, "targets"),
        ({3: [3, 2, 4]}, {}, "target_lengths"),  # past S
        ({3: [3, -1, 1]}, {}, "target_lengths"),
        ({2: [7, 5, 4]}, {}, "input_lengths"),  # past T
        ({2: [6, -1, 4]}, {}, "input_lengths"),
        ({1: np.zeros((3, 3))}, {}, "targets must be an integer"),
        ({2: np.array([6, 5])}, {}, "input_lengths"),
        ({0: LOGITS[0]}, {}, "logits"),
    ],
)
def test_bad_values_name_the_argument(change: dict[int, Any], kwargs: Any, named: str) -> None:
    arrays = [LOGITS, TARGETS, FRAMES, LENGTHS]
    for i, value in change.items():
        arrays[i] = np.asarray(value)
    with pytest.raises(ValueError, match=re.escape(named)):
        _ctc(*arrays, **kwargs)


# one bad value in the last sequence (labels [1, 0, 0], 1 label, 4 frames), and the
# argument the error names
LAST_SEQUENCE_BAD = [
    ("targets", (-1, 0), 0),  # the blank within the target length
    ("targets", (-1, 0), 5),  # not a class
    ("targets", (-1, 0), -2),
    ("target_lengths", -1, 4),  # past S
    ("target_lengths", -1, -1),
    ("input_lengths", -1, 7),  # past T
    ("input_lengths", -1, -1),
]


def _checked(backend: Backend) -> None:
    if not checks_values(backend.asarray(np.zeros(1), "int64")):
        pytest.skip(f"{backend.name}: values are not checked (see the NaN test below)")


@pytest.mark.parametrize("batch", [3, 100], ids=["few", "many"])
def test_bad_values_are_found_in_few_and_many_sequences(batch: int, backend: Backend) -> None:
    """Both checks (a Python loop over a few labels, NumPy over more than ``FEW_LABELS``)
    find each bad value, on every library whose values are checked (torch's kernel
    included); a batch without one passes them (the loss itself is the matrix's)."""
    _checked(backend)
    rows = np.arange(batch) % 3
    good = [LOGITS[rows], TARGETS[rows], FRAMES[rows], LENGTHS[rows]]
    assert good[1].size > FEW_LABELS if batch == 100 else good[1].size <= FEW_LABELS
    position = {"targets": 1, "input_lengths": 2, "target_lengths": 3}

    logits = backend.asarray(good[0], "float64")

    def integers(arrays: list[Any]) -> list[Any]:
        return [backend.asarray(a, "int64") for a in arrays[1:]]

    assert ctc_inputs(logits, *integers(good), 0, backend.xp)[2] is None  # checked, passed
    for named, where, value in LAST_SEQUENCE_BAD:
        arrays = [a.copy() for a in good]
        arrays[position[named]][where] = value
        with pytest.raises(ValueError, match=f"^{named} must"):
            anyloss.ctc(logits, *integers(arrays))


@pytest.mark.parametrize("classes", [5, 5000], ids=["set", "loop"])
def test_few_labels_fit_as_each_label_compared(classes: int) -> None:
    """The label check of a few sequences (a set lookup up to ``_FEW_CLASSES`` classes, a
    loop above) answers as comparing every label within its length to [0, C) and blank
    does; padding past a length is never looked at."""
    assert (classes > sequence._FEW_CLASSES) == (classes == 5000)
    rng = np.random.default_rng(0)
    for _ in range(300):
        labels = rng.integers(-2, classes + 2, (3, 4)).tolist()
        lengths = rng.integers(0, 5, 3).tolist()
        blank = int(rng.integers(0, classes))
        expected = all(
            0 <= v < classes and v != blank
            for row, n in zip(labels, lengths, strict=True)
            for v in row[:n]
        )
        assert few_labels_fit(labels, lengths, blank, classes) == expected
    assert few_labels_fit([[1, 0, -9]], [1], 0, classes)  # padding unread
    assert not few_labels_fit([[1, 0]], [2], 0, classes)


def test_padding_past_the_target_length_is_not_read(backend: Backend) -> None:
    """Padding of any value past each target length changes nothing (torch's kernel
    reads none of it, the portable body makes it ``blank`` for its gathers)."""
    padded = np.where(np.arange(3)[None, :] >= LENGTHS[:, None], -7, TARGETS)
    args = [backend.asarray(LOGITS, "float64")]
    lengths = [backend.asarray(a, "int64") for a in (FRAMES, LENGTHS)]
    got = anyloss.ctc(*args, backend.asarray(padded, "int64"), *lengths, reduction="none")
    expected = _ctc(reduction="none")
    np.testing.assert_allclose(backend.to_numpy(got), expected, rtol=1e-12)


def _paths(backend: Backend) -> Iterator[contextlib.AbstractContextManager[None]]:
    if delegated("ctc", backend.module):
        yield contextlib.nullcontext()
    yield anyloss.portable()


def test_unchecked_bad_values_give_nan_for_their_sequence(backend: Backend) -> None:
    """Sequence 0 has a blank label, 1 a label past C, 2 a length past T, 3 is fine."""
    logits = np.random.default_rng(1).standard_normal((4, 6, 5))
    targets = np.array([[1, 0, 2], [3, 9, 1], [1, 2, 3], [2, 2, 4]])
    frames, lengths = np.array([6, 6, 7, 6]), np.array([3, 2, 3, 3])
    args = [backend.asarray(logits, "float64")]
    args += [backend.asarray(a, "int64") for a in (targets, frames, lengths)]
    fine = anyloss.ctc(logits[3:], targets[3:], frames[3:], lengths[3:], reduction="none")
    for path in _paths(backend):
        with path, anyloss.value_checks(False):
            outs = backend.compiled(
                lambda *a: tuple(anyloss.ctc(*a, reduction=r) for r in ("none", "mean"))
            )(*args)
        none, mean = (backend.to_numpy(o) for o in outs)
        assert np.all(np.isnan(none[:3])), none
        np.testing.assert_allclose(none[3:], fine, rtol=1e-12)
        assert np.isnan(mean)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_impossible_alignment_has_a_zero_gradient(
    zero_infinity: bool, grad_backend: Backend
) -> None:
    """[1, 1, 2] needs 4 frames and gets 3: loss +inf (or 0), gradient 0 for that
    sequence; the other sequence's gradient is finite and not all 0."""
    logits = np.random.default_rng(2).standard_normal((2, 5, 4))
    targets, frames, lengths = np.array([[1, 1, 2], [3, 1, 0]]), np.array([3, 5]), np.array([3, 2])
    labels = [grad_backend.asarray(a, "int64") for a in (targets, frames, lengths)]
    x = grad_backend.asarray(logits, "float64")

    def summed(x: Any) -> Any:
        return anyloss.ctc(x, *labels, zero_infinity=zero_infinity, reduction="sum")

    def second(x: Any) -> Any:
        return anyloss.ctc(x, *labels, zero_infinity=zero_infinity, reduction="none")[1]

    for path in _paths(grad_backend):
        with path:
            value, (g,) = grad_backend.value_and_grad(summed, [x])
            possible, (g_possible,) = grad_backend.value_and_grad(second, [x])
        got = float(grad_backend.to_numpy(value))
        expected = float(grad_backend.to_numpy(possible)) if zero_infinity else np.inf
        assert got == pytest.approx(expected, rel=1e-12)
        np.testing.assert_array_equal(g[0], 0.0)
        assert np.all(np.isfinite(g))
        assert np.any(g[1] != 0)
        np.testing.assert_allclose(g[1], g_possible[1], rtol=1e-12)
