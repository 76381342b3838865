"""The registry, ``anyloss.get``, and what importing anyloss pulls in."""

from __future__ import annotations

import inspect
import pickle
import subprocess
import sys

import numpy as np

import anyloss
from anyloss import _checker
from anyloss._registry import FAMILIES, FAMILY_OF_MODULE, spec
from tests.cases import all_cases


def test_every_registered_loss_has_cases_and_every_case_a_loss() -> None:
    cases = all_cases()
    names = set(anyloss.available())
    assert {c.loss for c in cases} == names
    ids = [c.name for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert all(any(c.loss == n and c.id == "default" for c in cases) for n in names)


def test_every_registered_loss_has_an_example_and_every_example_a_loss() -> None:
    """A new loss cannot skip ``anyloss check`` and the matrix's default case: its example
    and differentiable inputs belong in ``anyloss/_checker/examples.py``."""
    names = set(anyloss.available())
    assert sorted(names - set(_checker.EXAMPLES)) == [], "losses without an example"
    assert sorted(set(_checker.EXAMPLES) - names) == [], "examples of no registered loss"
    for name in names:
        arrays, kwargs = _checker.example(name)(np.random.default_rng(0))
        params = list(inspect.signature(spec(name).fn).parameters)
        for key in _checker.wrt(name):
            assert (key < len(arrays)) if isinstance(key, int) else (key in kwargs), (name, key)
        assert set(kwargs) <= set(params), name


def test_label_arguments_are_integer_in_the_examples() -> None:
    """``LossSpec.labels`` (what ``anyloss.keras`` casts back to integers) name integer
    arrays, and ``multilabel_margin``'s same-shape label lists are among them."""
    for name in anyloss.available():
        arrays, _ = _checker.example(name)(np.random.default_rng(0))
        for position in spec(name).labels:
            assert np.issubdtype(np.asarray(arrays[position]).dtype, np.integer), name
    assert spec("multilabel_margin").labels == (1,)
    assert spec("cross_entropy").labels == ()  # class indices or probabilities


def test_family_comes_from_the_module() -> None:
    assert set(FAMILY_OF_MODULE.values()) == set(FAMILIES)
    for name in anyloss.available():
        module = spec(name).fn.__module__.rsplit(".", 1)[1]
        assert spec(name).family == FAMILY_OF_MODULE[module], name


def test_every_loss_is_exported_and_documented() -> None:
    for name in anyloss.available():
        fn = getattr(anyloss, name)
        assert name in anyloss.__all__
        doc = fn.__doc__ or ""
        assert len(doc) > 80, f"{name} has no real docstring"
        assert "reduction" in spec(name).hyperparameters


def test_available_by_family() -> None:
    assert anyloss.available("regression")[:2] == ("mse", "mae")
    assert set(anyloss.available("regression")) <= set(anyloss.available())


def test_get_binds_hyperparameters_repr_and_pickle() -> None:
    huber = anyloss.get("huber", delta=0.5)
    assert repr(huber) == "anyloss.get('huber', delta=0.5)"
    p, t = np.array([0.0, 2.0]), np.zeros(2)
    assert float(huber(p, t)) == 0.4375  # (0 + 0.5 * (2 - 0.25)) / 2
    clone = pickle.loads(pickle.dumps(huber))
    assert repr(clone) == repr(huber)
    assert float(clone(p, t, reduction="sum")) == 0.875


def test_import_pulls_in_no_optional_backend() -> None:
    code = (
        "import sys, anyloss; "
        "bad = [m for m in ('torch', 'jax', 'dask', 'cupy', 'array_api_strict', 'scipy', 'keras') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_loss_is_typed_with_array_and_reduction() -> None:
    """``scripts/type_signatures.py`` has run over every loss (re-run it after adding one)."""
    import inspect

    for name in anyloss.available():
        sig = inspect.signature(spec(name).fn)
        assert sig.parameters["reduction"].annotation == "Reduction", name
        assert sig.return_annotation == "Array", name


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("anyloss").joinpath("py.typed").is_file()
