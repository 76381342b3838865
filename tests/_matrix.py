"""Helpers of the test matrix: a Case as backend inputs, result checks, paths.

The conversion, the substitution of differentiable inputs and the gradient objective are
``anyloss check``'s own (``anyloss._checker.harness``), re-exported here for the tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import array_api_compat
import numpy as np

import anyloss
from anyloss._checker import wrt
from anyloss._checker.harness import convert, pick, substitute, weighted_objective
from anyloss._delegation import delegated
from anyloss._settings import portable
from tests._backends import Backend
from tests.cases import Case

__all__ = [
    "check_array",
    "convert",
    "first_float",
    "loss_fn",
    "materialize",
    "no_compute",
    "on_path",
    "paths",
    "pick",
    "substitute",
    "weighted_objective",
    "wrt_of",
]


def _rounded(backend: Backend, a: Any, dtype: str) -> Any:
    """``a`` as the backend sees it in ``dtype``, back in float64 NumPy (for references)."""
    if isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating):
        return backend.to_numpy(backend.asarray(a, dtype))
    return a


def materialize(
    case: Case, backend: Backend, dtype: str
) -> tuple[tuple[Any, ...], dict[str, Any], tuple[Any, ...], dict[str, Any]]:
    """Backend inputs, and the float64 NumPy inputs the reference sees (rounded alike)."""
    arrays, kw = case.inputs()
    args = tuple(convert(backend, a, dtype) for a in arrays)
    kwargs = {k: convert(backend, v, dtype) for k, v in kw.items()}
    ref_args = tuple(_rounded(backend, a, dtype) for a in arrays)
    ref_kwargs = {k: _rounded(backend, v, dtype) for k, v in kw.items()}
    return args, kwargs, ref_args, ref_kwargs


def first_float(args: Sequence[Any]) -> Any:
    return next(a for a in args if hasattr(a, "dtype") and "float" in str(a.dtype))


def check_array(out: Any, backend: Backend, args: Sequence[Any], dtype: str) -> None:
    """The result is an array of the inputs' library, on their device, in their dtype."""
    xp = array_api_compat.array_namespace(out)
    assert xp is backend.xp, f"result is a {type(out)}, not a {backend.name} array"
    assert out.dtype == backend.dtype(dtype), f"result dtype {out.dtype}, expected {dtype}"
    want = array_api_compat.device(first_float(args))
    assert array_api_compat.device(out) == want, f"result on {array_api_compat.device(out)}"


@contextlib.contextmanager
def no_compute(backend: Backend) -> Iterator[None]:
    """On dask, fail if anything computes inside the block (losses must stay lazy)."""
    if backend.name != "dask":
        yield
        return
    import dask

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the loss computed a dask array eagerly")

    with dask.config.set(scheduler=refuse):
        yield


def wrt_of(case: Case) -> tuple[int | str, ...]:
    """The loss's ``wrt`` inputs that the case has (an optional array keyword it leaves out,
    as ``linear_cross_entropy``'s ``bias``, is not differentiated)."""
    _, kwargs = case.inputs()
    return tuple(w for w in wrt(case.loss) if isinstance(w, int) or w in kwargs)


def loss_fn(case: Case) -> Callable[..., Any]:
    return getattr(anyloss, case.loss)


def paths(case: Case, backend: Backend) -> tuple[str, ...]:
    """The paths a loss has on ``backend``: its native kernel (where one is registered in
    ``anyloss._delegation``) and its portable form."""
    if delegated(case.loss, backend.module):
        return ("native", "portable")
    return ("portable",)


def on_path(path: str) -> contextlib.AbstractContextManager[None]:
    """A context that runs losses on ``path``: ``portable()`` forces the ``xp`` form."""
    return portable() if path == "portable" else contextlib.nullcontext()
