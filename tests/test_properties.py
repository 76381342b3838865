"""Property-based tests over every registered loss on the selected backends (hypothesis).

Each example starts from the loss's registry example and draws: the batch size (0, 1, 2
or all rows, so empty batches are included), a common scale of the unconstrained inputs
(1e-4 to 1e3, and logits up to 1e4), special values (exact zeros and equal pred/target
entries, probabilities of exactly 0 and 1), and the loss's numeric and boolean
hyperparameters from values its rules accept. Then, per example:

* the result is an array of the inputs' library in their floating dtype, float64 and
  float32, for every reduction; NumPy inputs are read-only (an in-place write raises)
  and no backend's inputs change;
* ``"sum"`` is the sum of ``"none"`` and ``"mean"`` its mean (``ntxent`` divides by the
  number of positive pairs, ``ctc`` each sequence by its target length, as the catalog
  says);
* where the independent float64 reference (``tests/cases``) is finite, the value is
  finite in float64 and float32 (where float32 can hold it) and the gradient of every
  differentiable input is finite (torch, jax);
* float32 is close to float64 on the same (float32-rounded) inputs;
* float16/bfloat16 (torch, jax) are finite wherever the float32 result on the same
  rounded inputs is representable in them.

The runs are seeded and derandomised (the same examples every run) and their number is
set per backend so that the file costs about a minute per backend session on two CPU
cores; ``ANYLOSS_PROPERTY_EXAMPLES=n`` multiplies it by ``n`` for a longer search.
"""

from __future__ import annotations

import math
import os
from typing import Any

import array_api_compat
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import anyloss
from anyloss import _checker
from anyloss._checker.tolerance import deviation
from anyloss._registry import spec
from tests._backends import Backend
from tests.cases import Case, all_cases

NAMES = anyloss.available()
DEFAULT: dict[str, Case] = {c.loss: c for c in reversed(all_cases()) if c.id == "default"}
# examples per loss: each jax example compiles five functions (~0.3 s each on two cores)
EXAMPLES = {"numpy": 25, "strict": 12, "torch": 20, "jax": 1, "dask": 2}
HALF_DTYPES = {"jax": ("float16",)}  # bfloat16 is drawn on torch; both go through float32
# "mean" divides by the number of positive pairs (ntxent), of anchors with a positive
# (supcon); each sequence's loss by its target length before the batch mean (ctc, as torch)
MEAN_IS_NOT_MEAN_OF_NONE = {"ntxent", "supcon", "ctc"}
# inputs that are cosines, valid only in [-1, 1] (ValueError outside): drawn there, not scaled
COSINE_INPUTS = {"arcface", "cosface"}
# losses defined for positive inputs only (ValueError at 0, by the catalog): no exact zeros
POSITIVE_ONLY = {"tweedie_deviance"}  # pred > 0 (and target > 0 at power >= 2)
SKIP_KEYS = ("reduction", "axis", "class_axis", "ignore_index", "weight", "pos_weight")
FLOAT32_CLOSE = 1e-3  # float32 vs float64 on the same inputs (extreme scales included)
SCALES = (1e3, 1e-4, 1e-2, 1.0, 1e2)
HALF_MAX = {"float16": 65504.0, "bfloat16": 3.38e38}


def _examples(backend: Backend) -> int:
    return EXAMPLES.get(backend.name, 3) * int(os.environ.get("ANYLOSS_PROPERTY_EXAMPLES", "1"))


# --- drawing inputs ---------------------------------------------------------------------------


def _kind(a: np.ndarray) -> str:
    """How an example array may be varied: free reals, non-negative, [0, 1], or fixed."""
    if not np.issubdtype(a.dtype, np.floating):
        return "fixed"  # labels, indices
    if a.size and np.unique(a).size <= 3 and set(np.unique(a)) <= {-1.0, 0.0, 1.0}:
        return "fixed"  # {0, 1} or {-1, +1} targets
    if np.any(a < 0):
        return "real"
    return "unit" if np.all(a <= 1) else "nonnegative"


def _candidates(name: str, key: str, default: Any) -> list[Any]:
    """Values of one hyperparameter that its rule accepts."""
    if isinstance(default, bool):
        values: list[Any] = [True, False]
    elif isinstance(default, float):
        values = [default, 0.0, 1e-6, 0.1, 0.5, 1.0, 2.0, 3.0]
    else:
        return []
    good = []
    for v in values:
        try:
            spec(name).check({key: v})
        except ValueError:
            continue
        good.append(v)
    return good


@st.composite
def _inputs(draw: Any, name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    seed = draw(st.integers(0, 2**16))
    arrays, kwargs = _checker.example(name)(np.random.default_rng(seed))
    n = arrays[0].shape[0] if arrays[0].ndim else 0
    # the first entry of each list is what hypothesis tries first: make it a hard case
    rows = draw(st.sampled_from(list(dict.fromkeys([n, 0, 1, 2])))) if n else None
    scale = draw(st.sampled_from(SCALES))
    specials = ["extremes", "zeros", "equal", "none"]
    special = draw(
        st.sampled_from([s for s in specials if s != "zeros" or name not in POSITIVE_ONLY])
    )

    def cut(a: Any) -> Any:
        if rows is None or not isinstance(a, np.ndarray) or not a.ndim or a.shape[0] != n:
            return a
        return a[:rows]

    arrays, kwargs = tuple(cut(a) for a in arrays), {k: cut(v) for k, v in kwargs.items()}
    out = []
    for a in arrays:
        kind = _kind(a)
        a = a.copy()
        if kind == "real" and name in COSINE_INPUTS:
            kind = "cosine"
            if special in ("zeros", "extremes") and a.size:
                a.flat[:: max(1, a.size // 3)] = 0.0 if special == "zeros" else 1.0
                a.flat[1 :: max(1, a.size // 3)] = 0.0 if special == "zeros" else -1.0
        if kind in ("real", "nonnegative"):
            a = a * scale
            if special == "zeros" and a.size:
                a.flat[:: max(1, a.size // 3)] = 0.0
            if special == "extremes" and kind == "real" and a.size:
                a.flat[0] = 1e4 if scale >= 1 else -1e4
        if kind == "unit" and special in ("zeros", "extremes") and a.size:
            a.flat[:: max(1, a.size // 3)] = 0.0 if special == "zeros" else 1.0
        out.append(a)
    if _can_equal(special, out, arrays):
        out[1].flat[:: max(1, out[1].size // 2)] = out[0].flat[:: max(1, out[0].size // 2)]
    for key, default in spec(name).hyperparameters.items():
        if key in SKIP_KEYS or isinstance(kwargs.get(key), np.ndarray):
            continue
        values = _candidates(name, key, default)
        if values:
            kwargs[key] = draw(st.sampled_from(values))
    return tuple(out), kwargs


def _can_equal(special: str, out: list[Any], arrays: tuple[Any, ...]) -> bool:
    """Whether some entries of the second input can be set equal to the first's."""
    return (
        special == "equal"
        and len(out) > 1
        and out[0].shape == out[1].shape
        and _kind(arrays[0]) == _kind(arrays[1]) != "fixed"
    )


# --- running a loss ---------------------------------------------------------------------------


def _on(backend: Backend, a: Any, dtype: str) -> Any:
    if not isinstance(a, np.ndarray):
        return a
    if np.issubdtype(a.dtype, np.floating):
        x = backend.asarray(a, dtype)
    else:
        x = backend.asarray(a, "bool" if a.dtype == np.bool_ else "int64")
    if isinstance(x, np.ndarray):
        x.flags.writeable = False  # an in-place write in the loss raises
    return x


def _call(
    backend: Backend, name: str, arrays: Any, kwargs: Any, dtype: str, reductions: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """The loss under each reduction (in one ``jax.jit`` on jax), checked for namespace,
    dtype and unchanged inputs; the results in float64 NumPy."""
    args = [_on(backend, a, dtype) for a in arrays]
    kw = {k: _on(backend, v, dtype) for k, v in kwargs.items()}
    fn = getattr(anyloss, name)

    def every(*a: Any) -> tuple[Any, ...]:
        return tuple(fn(*a, reduction=r, **kw) for r in reductions)

    before = [backend.to_numpy(a) for a in args if hasattr(a, "shape")]
    outs = backend.compiled(every)(*args)
    after = [backend.to_numpy(a) for a in args if hasattr(a, "shape")]
    for b, a in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=f"{name} changed its input")
    for out in outs:
        assert array_api_compat.array_namespace(out) is backend.xp, f"{name}: {type(out)}"
        assert out.dtype == backend.dtype(dtype), f"{name}: dtype {out.dtype}, inputs {dtype}"
    return {r: backend.to_numpy(o) for r, o in zip(reductions, outs, strict=True)}


def _rounded(backend: Backend, arrays: Any, kwargs: Any, dtype: str) -> tuple[Any, Any]:
    """Float arrays rounded to ``dtype`` as the backend rounds them, back in float64."""

    def r(a: Any) -> Any:
        if isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating):
            return backend.to_numpy(backend.asarray(a, dtype))
        return a

    return tuple(r(a) for a in arrays), {k: r(v) for k, v in kwargs.items()}


def _reference_is_finite(name: str, arrays: Any, kwargs: Any) -> bool:
    try:
        with np.errstate(all="ignore"):
            ref = DEFAULT[name].reference(*arrays, reduction="none", **kwargs)
    except Exception:  # a reference written for the default inputs only
        return False
    return bool(np.all(np.isfinite(np.asarray(ref, dtype=np.float64))))


def _gradient(backend: Backend, name: str, arrays: Any, kwargs: Any, dtype: str) -> list[Any]:
    """Gradient of the "mean" loss w.r.t. the loss's differentiable arguments (eager)."""
    wrt = _checker.wrt(name)
    args = [_on(backend, a, dtype) for a in arrays]
    kw = {k: _on(backend, v, dtype) for k, v in kwargs.items()}
    leaves = [args[w] if isinstance(w, int) else kw[w] for w in wrt]
    leaves = [x for x in leaves if hasattr(x, "shape")]

    def f(*xs: Any) -> Any:
        a, k = list(args), dict(kw)
        diff = iter(xs)
        for w in wrt:
            target = a if isinstance(w, int) else k
            if hasattr(target[w], "shape"):
                target[w] = next(diff)
        return getattr(anyloss, name)(*a, **k)

    if backend.name == "jax":
        import jax

        grads = jax.jit(jax.grad(f, argnums=tuple(range(len(leaves)))))(*leaves)
        return [backend.to_numpy(g) for g in grads]
    return backend.value_and_grad(f, leaves)[1]


def _check_example(backend: Backend, name: str, arrays: Any, kwargs: Any) -> None:
    arrays32, kwargs32 = _rounded(backend, arrays, kwargs, "float32")
    outs = {}
    for dtype, (a, k) in (("float64", (arrays32, kwargs32)), ("float32", (arrays32, kwargs32))):
        got = _call(backend, name, a, k, dtype, ("none", "sum", "mean"))
        _check_reductions(name, got, dtype)
        outs[dtype] = got["none"]
    finite = _reference_is_finite(name, arrays32, kwargs32)
    if finite:
        assert np.all(np.isfinite(outs["float64"])), f"{name}: non-finite {outs['float64']}"
        if np.all(np.abs(outs["float64"]) < 1e37):  # where float32 can hold the value
            assert np.all(np.isfinite(outs["float32"])), f"{name}: non-finite float32"
            _check_close(name, outs["float32"], outs["float64"])
        if backend.autograd:
            for g in _gradient(backend, name, arrays32, kwargs32, "float64"):
                assert np.all(np.isfinite(g)), f"{name}: non-finite gradient {g.ravel()[:6]}"
    for half in HALF_DTYPES.get(backend.name, backend.half_dtypes):
        _check_half(backend, name, arrays, kwargs, half)


def _check_close(name: str, got: np.ndarray, want: np.ndarray) -> None:
    """float32 within ``FLOAT32_CLOSE`` of float64; below 1e-30 both count as 0 (float32
    underflows there, legitimately)."""
    got, want = (np.where(np.abs(x) < 1e-30, 0.0, x) for x in (got, want))
    assert deviation(got, want) <= FLOAT32_CLOSE, (
        f"{name}: float32 {got.ravel()[:4]} vs float64 {want.ravel()[:4]}"
    )


def _check_reductions(name: str, got: dict[str, Any], dtype: str) -> None:
    none, total, mean = got["none"], got["sum"], got["mean"]
    if not np.all(np.isfinite(none)):
        return
    rtol = 1e-9 if dtype == "float64" else 1e-4
    scale = float(np.sum(np.abs(none))) + 1e-30
    assert abs(float(total) - float(np.sum(none))) <= rtol * scale, f"{name}: sum"
    if name not in MEAN_IS_NOT_MEAN_OF_NONE:
        want = float(np.mean(none)) if none.size else 0.0
        assert abs(float(mean) - want) <= rtol * scale / max(none.size, 1), f"{name}: mean"


def _check_half(backend: Backend, name: str, arrays: Any, kwargs: Any, half: str) -> None:
    a_h, k_h = _rounded(backend, arrays, kwargs, half)
    wide = _call(backend, name, a_h, k_h, "float32", ("none",))["none"]
    if not (np.all(np.isfinite(wide)) and np.all(np.abs(wide) < HALF_MAX[half] / 2)):
        return
    got = _call(backend, name, a_h, k_h, half, ("none",))["none"]
    assert np.all(np.isfinite(got)), f"{name} in {half}: {got.ravel()[:6]} (float32 {wide})"


@pytest.mark.parametrize("name", NAMES)
def test_properties(name: str, backend: Backend) -> None:
    @settings(
        max_examples=_examples(backend),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(_inputs(name))
    def run(example: tuple[tuple[Any, ...], dict[str, Any]]) -> None:
        _check_example(backend, name, *example)

    run()


def test_the_drawn_kinds_cover_every_loss() -> None:
    """Every loss has a reference to judge finiteness by and at least one varied input."""
    for name in NAMES:
        assert name in DEFAULT, f"{name}: no default case in tests/cases"
        arrays, _ = _checker.example(name)(np.random.default_rng(0))
        assert any(_kind(a) != "fixed" for a in arrays), f"{name}: nothing to vary"
    assert math.isfinite(FLOAT32_CLOSE)
