"""Bad input, for every registered loss: the catalog's error, with a message naming the problem."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss._registry import spec
from anyloss._validation import fmt_shape
from tests._backends import Backend
from tests._matrix import _convert
from tests.cases import all_cases, all_invalid

NAMES = anyloss.available()
INVALID = all_invalid()
DEFAULT = {c.loss: c for c in reversed(all_cases()) if c.id == "default"}
name_param = pytest.mark.parametrize("name", NAMES)


def _example(name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return spec(name).example(np.random.default_rng(0))


def _on(backend: Backend, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(_convert(backend, a, "float64") for a in args), {
        k: _convert(backend, v, "float64") for k, v in kwargs.items()
    }


@name_param
def test_unknown_reduction(name: str, backend: Backend) -> None:
    args, kwargs = _on(backend, *_example(name))
    with pytest.raises(ValueError, match="reduction"):
        getattr(anyloss, name)(*args, **kwargs, reduction="avg")


@name_param
def test_trailing_axis_is_not_broadcast(name: str, backend: Backend) -> None:
    """``(8,)`` against ``(8, 1)``-style mismatches raise ValueError naming both shapes."""
    arrays, kwargs = _example(name)
    bad = (arrays[0], arrays[1][..., None], *arrays[2:])
    args, kwargs = _on(backend, bad, kwargs)
    with pytest.raises(ValueError) as info:
        getattr(anyloss, name)(*args, **kwargs)
    msg = str(info.value)
    for shape in (arrays[0].shape, bad[1].shape):
        assert fmt_shape(shape) in msg, f"{name}: {msg!r} does not name {fmt_shape(shape)}"


@name_param
def test_mixed_libraries(name: str, backend: Backend) -> None:
    """An array of ``backend`` next to a NumPy array: TypeError naming both libraries."""
    if backend.name == "numpy":
        pytest.skip("needs a second array library beside numpy")
    arrays, kwargs = _example(name)
    args, kwargs = _on(backend, arrays, kwargs)
    mixed = (args[0], arrays[1], *args[2:])
    with pytest.raises(TypeError) as info:
        getattr(anyloss, name)(*mixed, **kwargs)
    msg = str(info.value)
    lib = "array_api_strict" if backend.name == "strict" else backend.name.split("-")[0]
    assert "numpy" in msg, msg
    assert lib in msg, msg


@name_param
def test_invalid_hyperparameters(name: str) -> None:
    """Every rule has a bad example; each raises ValueError naming the keyword, also in get()."""
    rules = spec(name).rules
    bad = INVALID.get(name, [])
    covered = {k for kw in bad for k in kw}
    assert set(rules) <= covered, f"{name}: no invalid example for {set(rules) - covered}"
    arrays, kwargs = _example(name)
    for kw in bad:
        key = next(iter(kw))
        with pytest.raises(ValueError, match=re.escape(key)):
            getattr(anyloss, name)(*arrays, **{**kwargs, **kw})
        with pytest.raises(ValueError, match=re.escape(key)):
            anyloss.get(name, **kw)


def test_unknown_hyperparameter_names_the_valid_ones() -> None:
    with pytest.raises(TypeError, match=r"deta.*delta"):
        anyloss.get("huber", deta=1.0)


def test_unknown_loss_lists_the_names() -> None:
    with pytest.raises(KeyError, match="mse"):
        anyloss.get("msee")
