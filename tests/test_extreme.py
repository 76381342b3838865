"""Extreme valid inputs, for every registered loss on every selected backend.

* An empty batch (every array cut to 0 rows along its batch axis) gives 0 under "mean"
  and "sum" and an empty (or all-zero pooled) result under "none" — the catalog's rule,
  where NumPy and torch raise on a max of nothing and dask fails at compute time.
* NaN in a differentiable input gives NaN out: never a finite number.

On jax both run under ``jax.jit`` (eager jax is covered by ``test_defects.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss import _checker
from tests._backends import Backend
from tests._matrix import convert

NAMES = anyloss.available()


def _example(name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return _checker.example(name)(np.random.default_rng(0))


def _empty_batch(name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The example with every array that shares the batch axis cut to 0 rows."""
    arrays, kwargs = _example(name)
    n = arrays[0].shape[0]

    def cut(a: Any) -> Any:
        return a[:0] if isinstance(a, np.ndarray) and a.ndim and a.shape[0] == n else a

    return tuple(cut(a) for a in arrays), {k: cut(v) for k, v in kwargs.items()}


@pytest.mark.parametrize("name", NAMES)
def test_empty_batch(name: str, backend: Backend) -> None:
    arrays, kwargs = _empty_batch(name)
    args = tuple(convert(backend, a, "float32") for a in arrays)
    kw = {k: convert(backend, v, "float32") for k, v in kwargs.items()}
    fn = getattr(anyloss, name)

    def every(*a: Any) -> tuple[Any, ...]:  # one jax.jit on jax (cheaper than eager ops)
        return tuple(fn(*a, reduction=r, **kw) for r in ("mean", "sum", "none"))

    *reduced, none = (backend.to_numpy(o) for o in backend.compiled(every)(*args))
    for reduction, out in zip(("mean", "sum"), reduced, strict=True):
        assert out.shape == (), f"{name} [{reduction}]: shape {out.shape}"
        assert out == 0.0, f"{name} [{reduction}]: {out}"
    assert none.size == 0 or np.all(none == 0.0), f"{name} [none]: {none}"


@pytest.mark.parametrize("name", NAMES)
def test_nan_in_gives_nan_out(name: str, backend: Backend) -> None:
    arrays, kwargs = _example(name)
    kw = {k: convert(backend, v, "float64") for k, v in kwargs.items()}
    for i in (w for w in _checker.wrt(name) if isinstance(w, int)):
        bad = list(arrays)
        bad[i] = np.full(arrays[i].shape, np.nan)
        args = tuple(convert(backend, a, "float64") for a in bad)
        out = backend.to_numpy(backend.compiled(lambda *a: getattr(anyloss, name)(*a, **kw))(*args))
        assert np.isnan(out), f"{name}: NaN in argument {i} gave {out}"
