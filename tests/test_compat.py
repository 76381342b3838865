"""The named backend gaps (``anyloss._compat``) and the resolver, on every selected backend."""

from __future__ import annotations

import numpy as np
import pytest

from anyloss._checker.harness import finite_difference, frozen_stops
from anyloss._compat import (
    absolute,
    cached,
    chunk_loop,
    host_array,
    host_list,
    lean,
    masked_summed_softplus,
    near_log_ratio,
    pick_along_axis,
    positive_part,
    quiet_log,
    quiet_where,
    stop_gradient,
    take_along_axis,
    tracing,
)
from anyloss._namespace import resolve
from tests._backends import Backend


def test_take_along_axis_gathers_labels(backend: Backend) -> None:
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[1], [3], [0]])
    got = take_along_axis(
        backend.asarray(x, "float64"), backend.asarray(idx, "int64"), backend.xp, axis=1
    )
    np.testing.assert_array_equal(backend.to_numpy(got), [[1.0], [7.0], [8.0]])


def test_take_along_axis_channels_first(backend: Backend) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    idx = np.random.default_rng(1).integers(0, 3, (2, 1, 4))
    got = take_along_axis(
        backend.asarray(x, "float64"), backend.asarray(idx, "int64"), backend.xp, axis=1
    )
    np.testing.assert_array_equal(backend.to_numpy(got), np.take_along_axis(x, idx, axis=1))


def test_take_along_axis_several_indices_per_slice(backend: Backend) -> None:
    """Several picks per slice, -inf values kept (ctc's emissions; dask's fallback)."""
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    x[0, 1, 2] = -np.inf
    idx = np.random.default_rng(1).integers(0, 4, (2, 3, 5))
    idx[0, 1, 0] = 2
    got = take_along_axis(
        backend.asarray(x, "float64"), backend.asarray(idx, "int64"), backend.xp, axis=2
    )
    np.testing.assert_array_equal(backend.to_numpy(got), np.take_along_axis(x, idx, axis=2))


def test_pick_along_axis_one_index_per_slice(backend: Backend) -> None:
    """A NaN or infinity elsewhere in the slice stays out; on torch also compiled (the
    comparison form, traced by Dynamo)."""
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    x[0, 0, 1], x[1, 2, 3], x[0, 2, 0] = np.nan, np.inf, -np.inf
    idx = np.array([[0, 1, 0, 2], [1, 0, 2, 2]])
    want = np.take_along_axis(x, idx[:, None, :], axis=1)
    xs, ids = backend.asarray(x, "float64"), backend.asarray(idx, "int64")
    pickers = [lambda a, i: pick_along_axis(a, i, backend.xp, axis=1)]
    if backend.name == "torch":
        import torch

        pickers.append(torch.compile(pickers[0], fullgraph=True, backend="eager"))
    for pick in pickers:
        np.testing.assert_array_equal(backend.to_numpy(pick(xs, ids)), want)


def test_positive_part_values(backend: Backend) -> None:
    """NaN stays NaN, -inf gives 0."""
    x = np.array([np.nan, -np.inf, 0.0, 2.0, -1.0, np.inf])
    got = positive_part(backend.asarray(x, "float64"), backend.xp)
    np.testing.assert_array_equal(backend.to_numpy(got), [np.nan, 0.0, 0.0, 2.0, 0.0, np.inf])


def test_positive_part_gradient(grad_backend: Backend) -> None:
    """1 above 0, 0 below, and 0 at 0 on every backend (torch's and jax's relu; jax's
    ``maximum`` would give 1/2 there)."""
    xp = grad_backend.xp
    x = grad_backend.asarray(np.array([0.0, 2.0, -1.0]), "float64")
    _, (g,) = grad_backend.value_and_grad(lambda v: xp.sum(positive_part(v, xp)), [x])
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_absolute_values(backend: Backend) -> None:
    """|x|: NaN stays NaN, ±inf gives inf, -0 gives 0."""
    x = np.array([np.nan, -np.inf, -0.0, 0.0, 2.0, -1.5, np.inf])
    got = backend.to_numpy(absolute(backend.asarray(x, "float64"), backend.xp))
    np.testing.assert_array_equal(got, [np.nan, np.inf, 0.0, 0.0, 2.0, 1.5, np.inf])


def test_absolute_gradient(grad_backend: Backend) -> None:
    """sign(x), 0 at 0 on every backend (torch's abs; jax's abs gives 1 there)."""
    xp = grad_backend.xp
    x = grad_backend.asarray(np.array([0.0, 2.0, -1.0]), "float64")
    _, (g,) = grad_backend.value_and_grad(lambda v: xp.sum(absolute(v, xp)), [x])
    np.testing.assert_array_equal(g, [0.0, 1.0, -1.0])


def test_resolve_promotes_floats_and_ignores_scalars(backend: Backend) -> None:
    xp = backend.xp
    a = backend.asarray(np.ones(2), "float32")
    labels = backend.asarray(np.zeros(2), "int64")
    ns = resolve(a, None, 1.5, labels)
    assert ns.xp is lean(xp)  # the backend's namespace (NumPy's: its lean form)
    assert ns.xp.__name__ == xp.__name__
    assert ns.dtype == xp.float32
    assert resolve(labels).dtype in (xp.float32, xp.float64)  # the default float dtype
    assert resolve(a, backend.asarray(np.ones(2), "float64")).dtype == xp.float64


def test_resolve_needs_an_array() -> None:
    with pytest.raises(TypeError, match="at least one array"):
        resolve(1.0, None)


def test_resolve_rejects_lists() -> None:
    with pytest.raises(TypeError, match="list"):
        resolve(np.ones(2), [1.0, 2.0])


def test_value_checks_run_on_concrete_arrays_and_skip_under_jit(backend: Backend) -> None:
    """Labels out of range raise on eager arrays of every backend (jax included), but
    not while tracing, where the values do not exist yet."""
    import anyloss

    logits = backend.asarray(np.zeros((2, 3)), "float64")
    labels = backend.asarray(np.array([0, 5]), "int64")
    if backend.name == "dask":
        anyloss.cross_entropy(logits, labels)  # lazy: unchecked, documented
        return
    with pytest.raises(ValueError, match="5"):
        anyloss.cross_entropy(logits, labels)
    if backend.name == "jax":
        import jax

        jax.jit(anyloss.cross_entropy)(logits, labels)  # traced: no check, no error
        jax.jit(lambda x: anyloss.multi_margin(x, labels))(logits)  # closed-over labels


def test_host_values_are_the_array_values(backend: Backend) -> None:
    """``host_array`` gives a NumPy array of the values (a view, not a copy, of NumPy
    arrays and torch CPU tensors, a tensor that requires grad too); ``host_list`` the
    same values as Python lists."""
    values = np.arange(6).reshape(2, 3) - 2
    x = backend.asarray(values, "int64")
    if backend.name == "dask":
        pytest.skip("dask arrays are lazy: value checks do not read them")
    host = host_array(x)
    assert isinstance(host, np.ndarray)
    np.testing.assert_array_equal(host, values)
    assert host_list(x) == values.tolist()
    if backend.name == "numpy":
        assert host is x
    if backend.name == "torch":
        assert np.shares_memory(host, x.numpy())
        w = backend.asarray(np.array([0.5, -1.0]), "float64").requires_grad_()
        assert host_array(w).tolist() == host_list(w) == [0.5, -1.0]


def test_torch_compile_fullgraph(backend: Backend) -> None:
    """A loss compiles as one graph (value checks step aside while torch is compiling)."""
    if backend.name != "torch":
        pytest.skip("torch.compile is a torch (CPU) test")
    import torch

    import anyloss

    def loss(x, y):  # type: ignore[no-untyped-def]
        return anyloss.cross_entropy(x, y, label_smoothing=0.1)

    x = torch.randn(8, 5, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 5, (8,))
    compiled = torch.compile(loss, fullgraph=True)(x, y)
    eager = loss(x, y)
    assert torch.allclose(compiled, eager, rtol=1e-12, atol=0)
    (g_compiled,) = torch.autograd.grad(compiled, x)
    (g_eager,) = torch.autograd.grad(eager, x)
    assert torch.allclose(g_compiled, g_eager, rtol=1e-10, atol=1e-14)


def test_cached_fills_once_and_computes_unhashable_keys() -> None:
    calls: list[object] = []

    def compute(x: object) -> str:
        calls.append(x)
        return f"v{x}"

    cache: dict[object, str] = {}
    assert cached(cache, "k", compute, 1) == "v1"
    assert cached(cache, "k", compute, 2) == "v1"  # a hit: not computed again
    assert cache == {"k": "v1"}
    assert calls == [1]
    assert cached(cache, ["unhashable"], compute, 3) == "v3"
    assert cache == {"k": "v1"}
    assert calls == [1, 3]


def test_cached_is_bypassed_while_torch_compile_traces(backend: Backend) -> None:
    """Under ``torch.compile`` the cache is neither read (a stale entry is not returned)
    nor written; ``tracing`` is True only there."""
    if backend.name != "torch":
        pytest.skip("torch.compile is a torch (CPU) test")
    import torch

    cache = {"k": 2.0}
    seen: list[bool] = []

    def scaled(x):  # type: ignore[no-untyped-def]
        seen.append(tracing())
        return x * cached(cache, "k", lambda: 3.0)

    assert float(scaled(torch.ones(()))) == 2.0
    torch._dynamo.reset()
    assert float(torch.compile(scaled, fullgraph=True, backend="eager")(torch.ones(()))) == 3.0
    assert cache == {"k": 2.0}
    assert seen == [False, True]


def test_run_when_traced_is_torch_assume_constant_result(backend: Backend) -> None:
    """``run_when_traced`` sets what ``torch.compiler.assume_constant_result`` sets (so a
    trace runs the function for real), without importing torch."""
    if backend.name != "torch":
        pytest.skip("a torch test")
    import torch

    from anyloss._compat import run_when_traced

    def ours() -> bool:
        return True

    def theirs() -> bool:
        return True

    run_when_traced(ours)
    torch.compiler.assume_constant_result(theirs)
    assert vars(ours) == vars(theirs) != {}


@pytest.mark.parametrize("one_minus", [False, True])
def test_quiet_log_is_minus_infinity_at_the_edge_without_a_warning(
    backend: Backend, one_minus: bool
) -> None:
    """``quiet_log``: ``log x`` (``log1p(-x)``) with -inf at 0 (1) and no NumPy warning on
    any backend (dask: at compute time too); NaN stays NaN, a value past the edge is NaN."""
    import warnings

    raw = np.array([0.0, 1.0, 0.25, np.nan, 1.5 if one_minus else -0.5])
    x = backend.asarray(raw, "float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)  # past the edge
        out = backend.to_numpy(quiet_log(x, backend.xp, one_minus=one_minus))
    with np.errstate(all="ignore"):
        expected = np.log1p(-raw) if one_minus else np.log(raw)
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    assert np.isneginf(out[1 if one_minus else 0])
    assert np.isnan(out[3:]).all()


def test_stop_gradient_keeps_the_value(backend: Backend) -> None:
    """``stop_gradient`` returns the same values, in the same library and dtype."""
    x = backend.asarray(np.array([1.5, -2.0, 3.0]), "float64")
    out = stop_gradient(x)
    assert type(out) is type(x)
    np.testing.assert_array_equal(backend.to_numpy(out), [1.5, -2.0, 3.0])


def test_stop_gradient_stops_the_gradient(grad_backend: Backend) -> None:
    """d/dx of ``sum(stop_gradient(x) * x)`` is ``x``, not ``2x``: the first factor is a
    constant for autograd (torch ``detach``, ``jax.lax.stop_gradient``)."""
    xp = grad_backend.xp
    x = grad_backend.asarray(np.array([1.5, -2.0, 3.0]), "float64")
    _, (g,) = grad_backend.value_and_grad(lambda v: xp.sum(stop_gradient(v) * v), [x])
    np.testing.assert_allclose(g, [1.5, -2.0, 3.0], rtol=0, atol=0)


def test_frozen_stops_give_finite_differences_of_the_stopped_gradient() -> None:
    """NumPy finite differences of ``sum(stop_gradient(x) * x)`` under ``frozen_stops``:
    ``x`` (autograd's answer), not ``2x``; outside it ``stop_gradient`` is the identity."""
    x0 = np.array([0.5, -2.0, 3.0])
    f = lambda v: float(np.sum(stop_gradient(v) * v))  # noqa: E731
    with frozen_stops() as replay:
        f(x0)

        def frozen(v: np.ndarray) -> float:
            with replay():
                return f(v)

        (held,) = finite_difference(frozen, [x0])
    (plain,) = finite_difference(f, [x0])
    np.testing.assert_allclose(held, x0, rtol=1e-8)
    np.testing.assert_allclose(plain, 2 * x0, rtol=1e-8)


def test_logsumexp_gradient_is_softmax_with_the_shift_stopped(grad_backend: Backend) -> None:
    """With the maximum's gradient stopped, the gradient of the log-sum-exp is still
    exactly the softmax (the shift cancels), ties and saturated rows included."""
    from anyloss._primitives import logsumexp

    xp = grad_backend.xp
    raw = np.array([[1.0, 3.0, 3.0, -2.0], [1e4, -1e4, 0.0, 1e4]])
    x = grad_backend.asarray(raw, "float64")
    _, (g,) = grad_backend.value_and_grad(lambda v: xp.sum(logsumexp(v, xp, axis=-1)), [x])
    soft = np.exp(raw - raw.max(axis=1, keepdims=True))
    soft /= soft.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g, soft, rtol=1e-14, atol=1e-300)


def _cube_with_marked_gradient(xp, asked=None):  # type: ignore[no-untyped-def]
    """``value = x³`` (elementwise) with a gradient that is deliberately not its derivative
    (``g · (3x² + 1)``), so a test sees which one autograd used; ``k`` takes none. The
    ``wanted`` flags each backward call gets are appended to ``asked``."""

    def value(x, k):  # type: ignore[no-untyped-def]
        return x**3 * xp.astype(k, x.dtype), (x * x,)

    def gradient(arrays, saved, g, wanted):  # type: ignore[no-untyped-def]
        (x, k), (square,) = arrays, saved
        if asked is not None:
            asked.append(tuple(bool(w) for w in wanted))
        return g * xp.astype(k, x.dtype) * (3 * square + 1), None

    return value, gradient


def test_custom_gradient_value(backend: Backend) -> None:
    """The value is ``value(*arrays)[0]`` on every backend (numpy, strict, dask: only that)."""
    from anyloss._compat import custom_gradient

    value, gradient = _cube_with_marked_gradient(backend.xp)
    x = backend.asarray(np.array([1.0, -2.0, 0.5]), "float64")
    k = backend.asarray(np.array([1, 2, 3]), "int64")
    out = custom_gradient(value, gradient, x, k)
    np.testing.assert_allclose(backend.to_numpy(out), [1.0, -16.0, 0.375], rtol=1e-15)


def test_custom_gradient_is_the_one_given(grad_backend: Backend) -> None:
    """torch autograd and ``jax.grad`` (jitted) use the hand-written gradient, integer
    arguments taking none (torch ``autograd.Function``, ``jax.custom_vjp``)."""
    from anyloss._compat import custom_gradient

    xp = grad_backend.xp
    asked: list[tuple[bool, ...]] = []
    value, gradient = _cube_with_marked_gradient(xp, asked)
    raw = np.array([1.0, -2.0, 0.5])
    x = grad_backend.asarray(raw, "float64")
    k = grad_backend.asarray(np.array([1, 2, 3]), "int64")
    _, (g,) = grad_backend.value_and_grad(
        lambda v: xp.sum(custom_gradient(value, gradient, v, k)), [x]
    )
    np.testing.assert_allclose(g, np.array([1, 2, 3]) * (3 * raw**2 + 1), rtol=1e-14)
    # torch asks only for what requires a gradient; jax for every array (jit drops the rest)
    assert asked == [(True, grad_backend.name != "torch")]


def test_custom_gradient_under_torch_compile(backend: Backend) -> None:
    """Dynamo traces the ``autograd.Function`` into one graph, backward included."""
    if backend.name != "torch":
        pytest.skip("torch.compile is a torch (CPU) test")
    import torch

    from anyloss._compat import custom_gradient

    value, gradient = _cube_with_marked_gradient(backend.xp)
    k = torch.tensor([1, 2, 3])

    def f(v):  # type: ignore[no-untyped-def]
        return custom_gradient(value, gradient, v, k).sum()

    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.compile(f, fullgraph=True, backend="eager")(x), x)
    np.testing.assert_allclose(g.numpy(), np.array([1, 2, 3]) * (3 * x.detach().numpy() ** 2 + 1))


def test_custom_gradient_compiled_without_a_gradient(backend: Backend) -> None:
    """Under ``no_grad``, or where no input requires a gradient (an evaluation pass), the
    value alone is traced: Dynamo failed on the ``autograd.Function`` there ("failed to
    bind arguments")."""
    if backend.name != "torch":
        pytest.skip("torch.compile is a torch (CPU) test")
    import torch

    from anyloss._compat import custom_gradient

    value, gradient = _cube_with_marked_gradient(backend.xp)
    k = torch.tensor([1, 2, 3])
    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    compiled = torch.compile(
        lambda v: custom_gradient(value, gradient, v, k), fullgraph=True, backend="eager"
    )
    with torch.no_grad():
        np.testing.assert_allclose(compiled(x).numpy(), [1.0, -16.0, 0.375], rtol=1e-15)
    np.testing.assert_allclose(compiled(x.detach()).numpy(), [1.0, -16.0, 0.375], rtol=1e-15)


def test_custom_gradient_under_torch_func_grad(backend: Backend) -> None:
    """``torch.func.grad`` accepts the Function (``setup_context``, ``generate_vmap_rule``)."""
    if backend.name != "torch":
        pytest.skip("torch.func is a torch test")
    import torch

    from anyloss._compat import custom_gradient

    value, gradient = _cube_with_marked_gradient(backend.xp)
    k = torch.tensor([1, 2, 3])
    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    g = torch.func.grad(lambda v: custom_gradient(value, gradient, v, k).sum())(x)
    np.testing.assert_allclose(g.numpy(), np.array([1, 2, 3]) * (3 * x.numpy() ** 2 + 1))


def test_quiet_where_masks_only_where_the_library_warns(backend: Backend) -> None:
    """NumPy and the libraries computing with it get the fill; torch, jax, cupy ``x``."""
    xp = backend.xp
    x = backend.asarray(np.array([0.0, 2.0]), "float64")
    keep = backend.asarray(np.array([False, True]), "bool")
    got = backend.to_numpy(quiet_where(keep, x, backend.asarray(np.array(1.0), "float64"), xp))
    warns = backend.name in ("numpy", "strict", "dask")
    np.testing.assert_array_equal(got, [1.0 if warns else 0.0, 2.0])


_NEAR_T = np.array([0.3, 0.30000001, 1e-30, 0.45, 0.5, 2.0])
_NEAR_P = np.array([0.3, 0.3, 1.1e-30, 0.3, 1.0, 1.5])


def test_near_log_ratio_is_accurate(backend: Backend) -> None:
    """``log(t/p)`` for ``|t - p| <= p/2`` to float32's precision (``log1p``; under
    ``torch.compile`` the atanh series, traced here with the eager backend)."""
    t32, p32 = _NEAR_T.astype(np.float32), _NEAR_P.astype(np.float32)
    exact = np.log1p((t32.astype(np.float64) - p32) / p32)
    t, p = backend.asarray(t32, "float32"), backend.asarray(p32, "float32")
    close = backend.asarray(np.ones(len(_NEAR_T), bool), "bool")
    runs = [lambda: near_log_ratio(t, p, close, backend.xp)]
    if backend.name == "torch":
        import torch

        traced = torch.compile(near_log_ratio, fullgraph=True, backend="eager")
        runs.append(lambda: traced(t, p, close, backend.xp))
    for run in runs:
        got = backend.to_numpy(run()).astype(np.float64)
        np.testing.assert_allclose(got, exact, rtol=4 * np.finfo(np.float32).eps, atol=0)


def _running_sum_and_doubles(xp):  # type: ignore[no-untyped-def]
    """A chunk body: the carry adds the chunk's rows (and counts chunks); outputs 2·rows."""

    def body(carry, chunk):  # type: ignore[no-untyped-def]
        total, count = carry
        rows, none = chunk
        assert none is None
        return (total + xp.sum(rows, axis=0), count + 1.0), (2.0 * rows, None)

    return body


@pytest.mark.parametrize("size", [3, 4, 20])
def test_chunk_loop_folds_every_row_once(backend: Backend, size: int) -> None:
    """Ten rows in chunks of 3 (a remainder of 1), 4 (remainder 2) or 20 (one short chunk):
    the carry sees every row once, the outputs come back in order, a None stays None."""
    xp = backend.xp
    raw = np.arange(30.0).reshape(10, 3)
    x = backend.asarray(raw, "float64")
    start = (backend.asarray(np.zeros(3), "float64"), backend.asarray(np.zeros(()), "float64"))
    (total, count), (doubled, none) = chunk_loop(
        _running_sum_and_doubles(xp), start, (x, None), size, xp
    )
    assert none is None
    np.testing.assert_array_equal(backend.to_numpy(total), raw.sum(axis=0))
    assert float(backend.to_numpy(count)) == -(-10 // size)
    np.testing.assert_array_equal(backend.to_numpy(doubled), 2.0 * raw)


def test_chunk_loop_is_one_scan_on_jax() -> None:
    """jax: the full chunks run as one ``lax.scan`` (the body traced once, not unrolled),
    the remainder once more: two traces of the body for 1000 rows in chunks of 3."""
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    traces = []
    body = _running_sum_and_doubles(jnp)

    def counted(carry, chunk):  # type: ignore[no-untyped-def]
        traces.append(chunk[0].shape)
        return body(carry, chunk)

    x = jnp.ones((1000, 2))
    run = jax.jit(lambda x: chunk_loop(counted, (jnp.zeros(2), jnp.zeros(())), (x, None), 3, jnp))
    (total, count), (doubled, _) = run(x)
    assert traces == [(3, 2), (1, 2)]
    np.testing.assert_array_equal(np.asarray(total), [1000.0, 1000.0])
    assert float(count) == 334
    assert doubled.shape == (1000, 2)


# softplus at the extremes and at 0; the last column masked out (as ntxent's non-pairs)
_SOFTPLUS_X = np.array([[-1e4, -30.0, -1.0, 0.0, 5.0], [1e-8, 1.0, 30.0, 800.0, -2.0]])
_KEEP = np.array([[True] * 4 + [False]] * 2)


def _softplus_sums(x: np.ndarray) -> np.ndarray:
    return np.where(_KEEP, np.logaddexp(0.0, x), 0.0).sum(axis=1)


def test_masked_summed_softplus_is_logaddexp_summed(backend: Backend) -> None:
    xp = backend.xp
    x, keep = backend.asarray(_SOFTPLUS_X, "float64"), backend.asarray(_KEEP, "bool")
    got = backend.to_numpy(masked_summed_softplus(x, keep, xp, axis=1))
    np.testing.assert_allclose(got, _softplus_sums(_SOFTPLUS_X), rtol=1e-12)
    nan = backend.asarray(np.array([[np.nan, 1.0]]), "float64")
    both = backend.asarray(np.array([[True, True]]), "bool")
    with np.errstate(invalid="ignore"):  # numpy's logaddexp warns on NaN
        assert np.isnan(backend.to_numpy(masked_summed_softplus(nan, both, xp, axis=1))).all()


def test_masked_summed_softplus_gradient_is_sigmoid(grad_backend: Backend) -> None:
    """1/2 at 0 (jax's written-out form too), 0 where masked out, accurate in the tails."""
    xp = grad_backend.xp
    x = grad_backend.asarray(_SOFTPLUS_X, "float64")
    keep = grad_backend.asarray(_KEEP, "bool")
    _, (g,) = grad_backend.value_and_grad(
        lambda v: xp.sum(masked_summed_softplus(v, keep, xp, axis=1)), [x]
    )
    expected = np.where(_KEEP, np.exp(-np.logaddexp(0.0, -_SOFTPLUS_X)), 0.0)
    np.testing.assert_allclose(g, expected, rtol=1e-12)
