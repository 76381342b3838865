"""Bad input, for every registered loss: the catalog's error, with a message naming the problem."""

from __future__ import annotations

import itertools
import math
import re
import warnings
from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss import _checker
from anyloss._registry import spec
from anyloss._settings import checks_values
from anyloss._validation import fmt_shape
from tests._backends import Backend
from tests._matrix import convert
from tests.cases import Domain, all_cases, all_domains, all_invalid

NAMES = anyloss.available()
INVALID = all_invalid()
DEFAULT = {c.loss: c for c in reversed(all_cases()) if c.id == "default"}
name_param = pytest.mark.parametrize("name", NAMES)


def _example(name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return _checker.example(name)(np.random.default_rng(0))


def _on(backend: Backend, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(convert(backend, a, "float64") for a in args), {
        k: convert(backend, v, "float64") for k, v in kwargs.items()
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


# --- bad-input kinds of issue 10: every loss gets them by being registered ---------------

# the catalog defines these at infinity (Barron's alpha = ±inf; the p = inf norm)
DEFINED_AT_INFINITY = {
    ("general_robust", "alpha"): (math.inf, -math.inf),
    ("triplet_margin", "p"): (math.inf,),
}
SCALAR_WEIGHTS = {("binary_focal", "pos_weight")}  # the catalog: "pos_weight a scalar"
# keywords that take arrays broadcasting against the inputs (catalog: robust family,
# weights); every other hyperparameter is a number or a 0-d array
NOT_A_KEYWORD = ("reduction",)
BAD_ARRAYS: tuple[tuple[str, Any], ...] = (
    ("None", None),
    ("float", 1.5),
    ("int", 2),
    ("list", [0.5, 0.5]),
    ("str", "pred"),
)


def _array_positions(name: str) -> list[tuple[int, str]]:
    """(position, parameter name) of every positional argument of ``name``."""
    import inspect

    params = list(inspect.signature(spec(name).fn).parameters.values())
    arrays, _ = _example(name)
    return [(i, params[i].name) for i in range(len(arrays))]


def _keywords(name: str) -> list[str]:
    return [k for k in spec(name).hyperparameters if k not in NOT_A_KEYWORD]


@name_param
def test_non_arrays_where_an_array_is_due(name: str, backend: Backend) -> None:
    """None, Python numbers, lists and strings in an array slot: TypeError naming it."""
    args, kwargs = _on(backend, *_example(name))
    fn = getattr(anyloss, name)
    for i, param in _array_positions(name):
        for kind, bad in BAD_ARRAYS:
            if kind in ("float", "int") and param in spec(name).scalars:
                continue  # documented: this argument may be a Python number
            with pytest.raises(TypeError, match=re.escape(repr(param))):
                fn(*args[:i], bad, *args[i + 1 :], **kwargs)


@name_param
def test_complex_arrays_are_refused(name: str, backend: Backend) -> None:
    """A complex array in any floating slot: TypeError naming it (not a dropped imaginary)."""
    arrays, kwargs = _example(name)
    args, kwargs = _on(backend, arrays, kwargs)
    fn = getattr(anyloss, name)
    for i, param in _array_positions(name):
        if not np.issubdtype(arrays[i].dtype, np.floating):
            continue
        bad = backend.asarray(arrays[i] + 1j, "complex128")
        with pytest.raises(TypeError, match=re.escape(repr(param))):
            fn(*args[:i], bad, *args[i + 1 :], **kwargs)


@name_param
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_non_finite_hyperparameters(name: str, value: float) -> None:
    """Every hyperparameter refuses inf and NaN, naming itself (unless defined there)."""
    arrays, kwargs = _example(name)
    for key in _keywords(name):
        if value in DEFINED_AT_INFINITY.get((name, key), ()):
            getattr(anyloss, name)(*arrays, **{**kwargs, key: value})  # defined: no error
            continue
        with pytest.raises(ValueError, match=re.escape(key)):
            getattr(anyloss, name)(*arrays, **{**kwargs, key: value})


@name_param
def test_hyperparameter_arrays_that_do_not_fit(name: str, backend: Backend) -> None:
    """An array hyperparameter of a shape that fits nothing: ValueError naming the keyword
    (never silently broadcast, never a backend error that does not say which)."""
    arrays, kwargs = _example(name)
    args, kwargs = _on(backend, arrays, kwargs)
    misfit = backend.asarray(np.full(7, 0.5), "float64")
    for key in _keywords(name):
        with pytest.raises(ValueError, match=re.escape(key)):
            getattr(anyloss, name)(*args, **{**kwargs, key: misfit})


@name_param
def test_axis_must_be_an_integer(name: str) -> None:
    if "axis" not in spec(name).hyperparameters:
        pytest.skip(f"{name} has no axis")
    arrays, kwargs = _example(name)
    bad: list[Any] = [True, "0", 1.0]
    if spec(name).hyperparameters["axis"] is not None:
        bad.append(None)
    for value in bad:
        with pytest.raises(ValueError, match="axis"):
            getattr(anyloss, name)(*arrays, **{**kwargs, "axis": value})


WEIGHTS = [
    (name, key)
    for name in NAMES
    for key in ("weight", "pos_weight")
    if key in spec(name).hyperparameters
]


@pytest.mark.parametrize(("name", "key"), WEIGHTS, ids=[f"{n}-{k}" for n, k in WEIGHTS])
def test_weight_keywords(name: str, key: str, backend: Backend) -> None:
    """A badly typed weight names itself; a Python list works as the same array does."""
    arrays, kwargs = _example(name)
    args, kwargs = _on(backend, arrays, kwargs)
    fn = getattr(anyloss, name)
    for bad in ("heavy", {1: 2.0}, [1.0, "a"]):
        with pytest.raises((TypeError, ValueError), match=re.escape(key)):
            fn(*args, **{**kwargs, key: bad})
    if (name, key) in SCALAR_WEIGHTS:
        return
    classes = arrays[0].shape[-1]
    values = [0.5 + i for i in range(classes)]
    as_array = fn(*args, **{**kwargs, key: backend.asarray(np.array(values), "float64")})
    as_list = fn(*args, **{**kwargs, key: values})
    np.testing.assert_allclose(backend.to_numpy(as_list), backend.to_numpy(as_array), rtol=1e-12)


CLASS_INDEX_LOSSES = [
    "cross_entropy",
    "nll",
    "softmax_focal",
    "poly1_cross_entropy",
    "multi_margin",
    "lovasz_softmax",
]


@pytest.mark.parametrize("name", CLASS_INDEX_LOSSES)
def test_float_labels_are_a_value_error(name: str) -> None:
    """Class labels given as floats: ValueError naming the target, in every family."""
    arrays, kwargs = _example(name)
    floats = (arrays[0], arrays[1].astype(np.float64), *arrays[2:])
    with pytest.raises(ValueError, match="target") as info:
        getattr(anyloss, name)(*floats, **kwargs)
    assert not isinstance(info.value, TypeError), f"{name}: {info.value!r}"


# --- value domains (catalog: probabilities in [0, 1] ..., checked on eager arrays) --------

DOMAINS = [(name, d) for name, domains in all_domains().items() for d in domains]


@pytest.mark.parametrize(("name", "domain"), DOMAINS, ids=[f"{n}-{d.id}" for n, d in DOMAINS])
def test_values_outside_the_domain(name: str, domain: Domain, backend: Backend) -> None:
    """A value outside an argument's domain (a probability below 0 or above 1, a negative
    measure): ValueError naming the argument where values are read, never a finite number;
    also beside a NaN (which makes the array's least and greatest values NaN)."""
    arrays, kwargs = _example(name)
    kwargs = {**kwargs, **domain.kwargs}
    for value, nan in itertools.product(domain.bad, (False, True)):
        changed = list(arrays)
        changed[domain.position] = bad = np.array(arrays[domain.position], dtype=np.float64)
        bad.flat[0] = value
        if nan:
            bad.flat[-1] = np.nan
        args, kw = _on(backend, tuple(changed), kwargs)
        if not checks_values(args[domain.position]):
            pytest.skip(f"{backend.name} arrays are lazy: their values are never read")
        with pytest.raises(ValueError, match=rf"^{domain.name}\b.*(\[0|>= 0)"):
            getattr(anyloss, name)(*args, **kw)


@pytest.mark.parametrize("name", sorted({n for n, _ in DOMAINS}))
def test_value_checks_of_tensors_requiring_grad_warn_nothing(name: str) -> None:
    """The checks read a tensor that requires a gradient without torch's "requires_grad
    to a scalar" warning (a user would see it on every training step)."""
    torch = pytest.importorskip("torch")
    arrays, kwargs = _example(name)
    args = [
        torch.tensor(a, requires_grad=a.dtype.kind == "f")
        for a in (
            np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
            for a in arrays
        )
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(anyloss, name)(*args, **kwargs)
