"""The few places where backends differ from the standard, named and tested.

Loss code never asks which library it runs on; it calls these helpers, which test for
the capability itself.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import array_api_compat
import numpy as np
from array_api_compat import device

__all__ = [
    "FROZEN_AT",
    "FROZEN_VALUES",
    "absolute",
    "array_kind",
    "cached",
    "chunk_loop",
    "compiled_custom_gradient",
    "cumulative_sum",
    "custom_gradient",
    "device_of",
    "host_array",
    "host_list",
    "index_dtype",
    "is_concrete",
    "lean",
    "masked_summed_softplus",
    "namespace_of",
    "near_log_ratio",
    "own_code",
    "pick_along_axis",
    "positive_part",
    "quiet_log",
    "quiet_where",
    "relu",
    "run_when_traced",
    "scalar_like",
    "softplus",
    "stop_gradient",
    "take_along_axis",
    "tracing",
]


# --- facts that depend only on an array's type, cached per type ---------------------------
#
# ``array_api_compat``'s type tests are ``lru_cache``-wrapped: cheap, but each call site
# makes ``torch.compile`` print a warning, and every call costs a little. What they answer
# depends only on the array's type, so it is asked once per type; torch tensors are known
# by their class (no array_api_compat call at all), so tracing never meets those caches.
#
# While torch.compile traces a call, no cache is read or written (``cached``): Dynamo
# turns every dict a trace reads into guards of the compiled graph, the whole dict where
# its keys are types (its length included), so the first entry added afterwards (another
# loss or array type used eagerly, or the trace's own write replayed) failed them and
# every compiled graph that had called a loss was compiled again.

_MODULES = sys.modules
F = TypeVar("F", bound=Callable[..., Any])
_KINDS: dict[type, str] = {}
_NAMESPACES: dict[type, Any] = {}


def tracing() -> bool:
    """Whether ``torch.compile`` (Dynamo) is tracing the current call.

    torch is looked up in ``sys.modules`` (never imported here) by a function that is
    never rebound: a trace guards on what it reads, and here that is torch's own
    ``is_compiling`` only, the same before and after any other call."""
    torch = _MODULES.get("torch")
    return torch is not None and bool(torch.compiler.is_compiling())


def cached(cache: dict[Any, Any], key: Any, compute: Callable[..., Any], *args: Any) -> Any:
    """``cache[key]``, set to ``compute(*args)`` on a miss; ``compute(*args)`` itself for an
    unhashable key, and while ``torch.compile`` traces (see above: the cache is neither
    read nor written there)."""
    if tracing():
        return compute(*args)
    try:
        return cache[key]
    except KeyError:
        value = cache[key] = compute(*args)
        return value
    except TypeError:  # an unhashable key (a dtype or device of some libraries)
        return compute(*args)


def run_when_traced(fn: Callable[[], bool]) -> Callable[[], bool]:
    """Mark ``fn`` (no arguments, returning True) to run for real when a ``torch.compile``
    trace reaches it, its result taken as a constant; what it sets is then set at once,
    not replayed on every call of the compiled graph, and what it reads raises no guard.
    ``torch.compiler.assume_constant_result`` does exactly this (it sets this attribute);
    set here without importing torch, before any trace."""
    fn._dynamo_marked_constant = True  # type: ignore[attr-defined]
    return fn


def own_code(fn: F, name: str) -> F:
    """``fn`` with a copy of its code object of its own, named ``name`` (a qualified name).

    ``torch.compile`` keeps the graphs it compiled per code object, at most eight
    (``recompile_limit``): wrappers that one ``def`` makes for every loss share one code
    object, so compiling a ninth loss directly (``torch.compile(anyloss.mse)``) fell back
    to eager. Named after the loss, tracebacks and profiles also say which loss ran."""
    replace: dict[str, Any] = {"co_name": name.rsplit(".", 1)[-1]}
    if sys.version_info >= (3, 11):
        replace["co_qualname"] = name
    fn.__code__ = fn.__code__.replace(**replace)
    return fn


def _is_torch_type(kind: type) -> bool:
    return any(c.__name__ == "Tensor" and c.__module__ == "torch" for c in kind.__mro__)


def array_kind(x: Any) -> str:
    """The library of array ``x``: torch, jax, dask, cupy, numpy, or its module's name."""
    return cached(_KINDS, type(x), _kind_of, x)


def _kind_of(x: Any) -> str:
    kind = type(x)
    if _is_torch_type(kind):
        return "torch"
    if array_api_compat.is_jax_array(x):
        return "jax"
    if array_api_compat.is_dask_array(x):
        return "dask"
    if array_api_compat.is_cupy_array(x):
        return "cupy"
    if array_api_compat.is_numpy_array(x):
        return "numpy"
    return kind.__module__.split(".")[0]


def namespace_of(x: Any) -> Any:
    """``array_api_compat.array_namespace(x)``, asked once per type of ``x``.

    ``TypeError`` (from array_api_compat) for objects that are not arrays of a supported
    library.
    """
    return cached(_NAMESPACES, type(x), _namespace_of, x)


def _namespace_of(x: Any) -> Any:
    if _is_torch_type(type(x)):
        import array_api_compat.torch as xp

        return xp
    return lean(array_api_compat.array_namespace(x))


def lean(xp: Any) -> Any:
    """The namespace a loss computes in: for NumPy, array_api_compat's with its Python-level
    wrappers cut short (``_lean_numpy``); any other ``xp`` itself."""
    if getattr(xp, "__name__", None) != "array_api_compat.numpy":
        return xp
    from ._lean_numpy import namespace

    return namespace


def device_of(x: Any) -> Any:
    """``array_api_compat.device(x)``; a torch tensor's ``.device`` directly, "cpu" for
    NumPy."""
    kind = array_kind(x)
    if kind == "torch":
        return x.device
    if kind == "numpy":
        return "cpu"
    return device(x)


def host_array(x: Any) -> Any:
    """The values of the concrete array ``x`` as a NumPy array, for value checks.

    Without a copy where they sit in host memory (NumPy, array-api-strict, torch and jax
    on the CPU); copied from an accelerator (torch ``.numpy(force=True)``, cupy ``.get()``:
    a host–device sync, which value checks make only when switched on there). Checks of
    a few small integer arrays (``ctc``'s labels and lengths) cost less read once this
    way than as the array library's own operations, each a dispatch of its own.
    """
    kind = array_kind(x)
    if kind == "numpy":
        return x
    if kind == "torch":
        return x.numpy(force=True)
    if kind == "cupy":
        return x.get()
    return np.asarray(x)


def host_list(x: Any) -> Any:
    """The values of the concrete array ``x`` as (nested) Python lists, for value checks
    of a few values: torch's and NumPy's own ``tolist`` (no NumPy array made on the way:
    for a few values making one costs more than the list), else through ``host_array``.
    """
    kind = array_kind(x)
    if kind == "torch" or kind == "numpy":
        return x.tolist()
    return host_array(x).tolist()


_INDEX_DTYPES: dict[tuple[int, Any], Any] = {}


def index_dtype(xp: Any, device: Any) -> Any:
    """The namespace's default indexing dtype (``take_along_axis`` in torch needs int64).

    Cached per namespace (by id: ``torch.compile`` cannot compare modules as dict keys)
    and device where the device is hashable (cupy's is not).
    """
    return cached(_INDEX_DTYPES, (id(xp), device), _default_index_dtype, xp, device)


def _default_index_dtype(xp: Any, device: Any) -> Any:
    return xp.__array_namespace_info__().default_dtypes(device=device)["indexing"]


_NUMPY_UNDERNEATH = frozenset({"numpy", "array_api_strict"})
"""Libraries whose elementwise functions are NumPy's ufuncs, run eagerly."""


def quiet_log(x: Any, xp: Any, *, one_minus: bool = False) -> Any:
    """``log(x)`` (``log1p(-x)`` with ``one_minus``) where ``x`` may hold 0 (resp. 1):
    ``-inf`` there, as the standard defines, and no warning.

    NumPy warns ("divide by zero encountered in log") where the standard just answers;
    numpy and array-api-strict (NumPy underneath) compute under
    ``np.errstate(divide="ignore")``, dask each block so at compute time; torch, jax and
    cupy do not warn. Other floating-point warnings (a log of a negative number) stay.
    A log of 0 costs nothing extra this way: guarding the argument with a ``where``
    before the log instead made ``torch.compile``'s CPU loop ~1.5x slower.
    """
    kind = array_kind(x)
    if kind in _NUMPY_UNDERNEATH:
        with np.errstate(divide="ignore"):
            return _log_or_log1p(x, xp, one_minus)
    if kind == "dask":
        return x.map_blocks(_quiet_block_log, one_minus, dtype=x.dtype)
    return _log_or_log1p(x, xp, one_minus)


def _quiet_block_log(block: Any, one_minus: bool) -> Any:
    with np.errstate(divide="ignore"):
        return _log_or_log1p(block, np, one_minus)


def _log_or_log1p(x: Any, xp: Any, one_minus: bool) -> Any:
    """``log1p(-x)`` with ``one_minus``, else ``log(x)``."""
    return xp.log1p(-x) if one_minus else xp.log(x)


def scalar_like(value: float, x: Any, xp: Any) -> Any:
    """The number ``value`` as a 0-d array of ``x``'s dtype and device.

    For ``maximum``/``minimum``/``where``/``clip`` against a constant: given a Python
    scalar, array-api-compat's torch functions convert it through ``torch.result_type``,
    which ``torch.compile(fullgraph=True)`` cannot trace. A 0-d array broadcasts without
    allocating a full-size temporary.
    """
    return xp.asarray(value, dtype=x.dtype, device=device_of(x))


def _torch_stop(x: Any) -> Any:
    return x.detach()


def _jax_stop(x: Any) -> Any:
    import jax

    return jax.lax.stop_gradient(x)


def _identity(x: Any) -> Any:
    return x


FROZEN_VALUES: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "anyloss_frozen_stops", default=None
)
"""NumPy's stopped values: recorded by the first evaluation under the checker's
``frozen_stops`` (``anyloss._checker.harness``), then handed back in the same order by every
later one. Unset (``None``) outside it: ``stop_gradient`` is then the identity on NumPy."""
FROZEN_AT: contextvars.ContextVar[int] = contextvars.ContextVar("anyloss_frozen_at", default=-1)
"""The position of the next value handed back (``-1``: recording)."""


def _numpy_stop(x: Any) -> Any:
    frozen = FROZEN_VALUES.get()
    if frozen is None:
        return x
    at = FROZEN_AT.get()
    if at < 0:  # recording
        frozen.append(x)
        return x
    FROZEN_AT.set(at + 1)
    return frozen[at]


_STOPPERS = {"torch": _torch_stop, "jax": _jax_stop, "numpy": _numpy_stop}


def stop_gradient(x: Any) -> Any:
    """``x`` as a constant for differentiation: its value, with no gradient flowing back.

    The standard has no such function. A shift that cancels out of a formula exactly (the
    maximum subtracted in a log-sum-exp) must not be differentiated: its gradient is
    zero in exact arithmetic, but autograd would still compute it, through a ``max``
    whose backward scatters into a full-size array. torch: ``Tensor.detach``; jax:
    ``jax.lax.stop_gradient`` (what ``jax.nn.logsumexp`` uses); numpy, cupy, dask and
    array-api-strict have no autograd: the identity.
    """
    return _STOPPERS.get(array_kind(x), _identity)(x)


def _logaddexp_softplus(x: Any, xp: Any) -> Any:
    return xp.logaddexp(x, scalar_like(0.0, x, xp))


SOFTPLUS_THRESHOLD = 37.0
"""Where torch's ``softplus`` returns ``x`` itself: above it ``log(1 + e^x) - x < e^-37``,
below half an ulp of ``x`` in float64 (``e^-37 / 37 < 2^-53``); ``e^37`` overflows no
floating dtype torch computes ``softplus`` in (half precision computes in float32)."""


def _torch_softplus(x: Any, xp: Any) -> Any:
    from torch.nn import functional

    return functional.softplus(x, 1.0, SOFTPLUS_THRESHOLD)


_SOFTPLUSES = {"torch": _torch_softplus}


def softplus(x: Any, xp: Any) -> Any:
    """``log(1 + exp(x))`` without overflow, with the gradient ``sigmoid(x)``.

    The standard's form is ``logaddexp(x, 0)`` (against a 0-d zero: no full-size zeros),
    which every library computes as ``max(x, 0) + log1p(exp(-|x|))``, exactly 1/2 in
    slope at 0 and accurate in the far tails. torch: ``F.softplus`` with the threshold
    ``SOFTPLUS_THRESHOLD``, ``log1p(exp(x))`` below it and ``x`` above, equal to
    ``logaddexp`` to rounding in float32 and float64 (``tests/test_primitives.py`` holds
    both to a few ulps from -1e4 to 1e4, on both sides of the threshold). Eager torch's
    ``logaddexp`` backward keeps both arguments and runs several kernels; ``softplus``'s
    keeps ``x`` and runs one: soft_margin's forward+backward on 2^18 scores took 0.95x
    of ``F.soft_margin_loss``'s time where ``logaddexp`` (against full-size zeros) took
    1.6x, with half the memory; compiled, 0.99x where ``logaddexp`` took 1.04x. On
    2048² values alone, interleaved: the same forward, 0.6x the forward+backward.
    """
    return _SOFTPLUSES.get(array_kind(x), _logaddexp_softplus)(x, xp)


def _summed_softplus_where(x: Any, mask: Any, xp: Any, axis: int) -> Any:
    zero = scalar_like(0.0, x, xp)  # 0-d: no full-size zeros to allocate
    return xp.sum(xp.where(mask, softplus(x, xp), zero), axis=axis)


def _jax_masked_summed_softplus(x: Any, mask: Any, xp: Any, axis: int) -> Any:
    x = xp.where(mask, x, scalar_like(-float("inf"), x, xp))  # softplus(-inf) = 0, slope 0
    positive = x > 0
    relu = xp.where(positive, x, scalar_like(0.0, x, xp))
    return xp.sum(relu + xp.log1p(xp.exp(xp.where(positive, -x, x))), axis=axis)


_MASKED_SUMMED_SOFTPLUSES = {"jax": _jax_masked_summed_softplus}


def masked_summed_softplus(x: Any, mask: Any, xp: Any, *, axis: int) -> Any:
    """``sum(where(mask, log(1 + exp(x)), 0), axis)``; on jax, written out and fused.

    Every backend computes ``logaddexp(x, 0)`` as ``max(x, 0) + log1p(exp(-|x|))``;
    ``jax.numpy.logaddexp`` wraps it in a NaN select (``where(isnan(x - 0), ...)``), and
    XLA's CPU backend then runs it, and the ``where`` after it, as its own elementwise
    loop that writes the whole array before the sum. On jax the mask is applied first
    (``x = -inf``, whose softplus is exactly 0 with a zero gradient) and the softplus is
    written out, so the ``exp``/``log1p`` pass runs inside the YNNPACK reduction: on
    ntxent's (2048, 2048) pair pass ``jax.jit`` took 1.1-1.2x Optax's time before,
    0.8-0.9x with this. Not a rule: on soft_margin's (52434, 5) mean the written-out
    softplus measured slower (0.50 -> 0.83 ms), and on torch eager the mask-first order
    made ntxent's forward+backward 1.4-1.6x slower, so elsewhere it is ``softplus``
    then ``where`` (on torch its own softplus: the same forward, and ntxent's
    forward+backward in 0.8-0.9x the time and 0.76x the memory of ``logaddexp``'s). The
    written-out pieces are selected by one mask ``x > 0`` (as ``binary._Logistic``;
    jax's gradient of ``maximum(x, 0)`` at 0 is 0, not 1/2): the gradient is 1/2 at 0,
    and NaN stays NaN (through ``exp``).
    """
    return _MASKED_SUMMED_SOFTPLUSES.get(array_kind(x), _summed_softplus_where)(x, mask, xp, axis)


def _where(keep: Any, x: Any, fill: Any, xp: Any) -> Any:
    return xp.where(keep, x, fill)


def _unchanged(keep: Any, x: Any, fill: Any, xp: Any) -> Any:
    return x


_QUIET_WHERES = {"torch": _unchanged, "jax": _unchanged, "cupy": _unchanged}


def quiet_where(keep: Any, x: Any, fill: Any, xp: Any) -> Any:
    """``where(keep, x, fill)`` where the library warns about bad floating-point arguments.

    For the argument of a ``log`` or a divisor whose result the caller masks afterwards
    (``where(keep, f(...), 0)``), in a value that autograd does not differentiate (the
    ``value`` of ``custom_gradient``). NumPy warns on ``log(0)`` and ``0 / 0``, and so do
    array-api-strict and dask, which compute with it: there the unused lanes get
    ``fill``. torch, jax and cupy compute ``-inf`` and NaN silently: there ``x`` is
    returned as it is, because under ``torch.compile`` (inductor, CPU) each mask applied
    in a fused loop costs time (kl_div's forward+backward: 1.11x native with the masks on
    ``log``'s arguments, 1.06x without). Autograd through the unguarded lanes would give
    NaN gradients: only for values whose gradient is written by hand.
    """
    return _QUIET_WHERES.get(array_kind(x), _where)(keep, x, fill, xp)


def _odd_atanh_series(s: Any, xp: Any) -> Any:
    """``2 atanh(s) = log((1 + s)/(1 - s))`` for ``|s| <= 1/3``, by its odd series.

    The terms through ``s^(2K+1)`` leave a relative remainder below
    ``(1/9)^(K+1) / (2K+3) / (1 - 1/9)``, kept under half the dtype's epsilon (7 terms in
    float32, 16 in float64).
    """
    eps = float(xp.finfo(s.dtype).eps)
    k = 1
    while (1 / 9) ** (k + 1) / (2 * k + 3) * 9 / 8 > eps / 2:
        k += 1
    s2 = s * s
    acc = 2 / (2 * k + 1)
    for n in range(k - 1, -1, -1):
        acc = acc * s2 + 2 / (2 * n + 1)
    return acc * s


def near_log_ratio(t: Any, p: Any, close: Any, xp: Any) -> Any:
    """``log(t/p)`` to the dtype's precision where ``close`` (``|t - p| <= p/2``, ``t != 0``).

    ``log1p((t - p)/p)``; ``t - p`` is exact there. Under ``torch.compile`` instead
    ``2 atanh(s)``, ``s = (t - p)/(t + p)``, ``|s| <= 1/3``, summed as a polynomial: the
    same accuracy, and inductor's CPU loop runs the polynomial faster than its ``log1p``
    (kl_div's forward+backward: 1.25x native with ``log1p``, 1.06x with the series),
    where torch eager (a kernel per term) and XLA run ``log1p`` faster. Elsewhere the
    value is meant to be masked out (``quiet_where`` keeps NumPy's divisor nonzero).
    """
    one = scalar_like(1.0, t, xp)
    if array_kind(t) == "torch" and tracing():
        return _odd_atanh_series((t - p) / quiet_where(close, t + p, one, xp), xp)
    return xp.log1p((t - p) / quiet_where(close, p, one, xp))


def custom_gradient(
    value: Callable[..., tuple[Any, tuple[Any, ...]]],
    gradient: Callable[..., tuple[Any, ...]],
    *arrays: Any,
) -> Any:
    """``value(*arrays)[0]``, differentiated by ``gradient`` instead of by autograd.

    ``value(*arrays) -> (out, saved)`` computes the result and the arrays its gradient
    needs; ``gradient(arrays, saved, g, wanted) -> grads`` returns one gradient per entry of
    ``arrays`` (``None`` for entries without one: integers, masks, a missing ``None``
    argument, an entry whose ``wanted`` flag is False), ``g`` being the upstream gradient,
    shaped like ``out``, and ``wanted`` a bool per entry of ``arrays``: whether its
    gradient is asked for (torch: ``requires_grad``; jax: always, as ``jit`` drops the
    unused). Both are written over ``xp``; this only registers them. A loss that
    recomputes its value chunk by chunk in its backward pass needs it (autograd through a
    loop of chunks stores every chunk), as does one whose hand-written gradient is cheaper
    than autograd's of its value.

    The standard has no autograd. torch: a ``torch.autograd.Function``
    (``_torch_autograd``, imported at the first torch call, so torch is imported only for
    torch arrays, and defined at that import, outside any ``torch.compile`` trace); jax:
    ``jax.custom_vjp``, the backward's inputs behind ``jax.lax.optimization_barrier`` so
    that XLA cannot merge its recomputation with the forward pass (which would keep every
    chunk alive); numpy, cupy, dask and array-api-strict have no autograd: the value only.
    On jax that is reverse mode only: ``jax.grad``, ``jax.vjp``, ``jax.jacrev`` and
    ``jax.hessian`` work, ``jax.jvp`` and ``jax.jacfwd`` of the loss raise (a
    ``custom_vjp`` has no forward mode); torch's ``torch.func`` transforms all work.
    """
    adapter = _CUSTOM_GRADIENTS.get(array_kind(arrays[0]))
    if adapter is None:
        return value(*arrays)[0]
    return adapter(value, gradient, arrays)


def compiled_custom_gradient(
    value: Callable[..., tuple[Any, tuple[Any, ...]]],
    gradient: Callable[..., tuple[Any, ...]],
    *arrays: Any,
) -> Any:
    """``custom_gradient`` while torch is compiling; elsewhere ``value(*arrays)[0]``,
    differentiated by autograd (torch eager, jax). ``gradient`` must be ``value``'s exact
    derivative: ``tests/test_compile.py`` holds the compiled gradient to eager autograd's.

    For pairwise ``(..., C, C)`` forms: inductor (CPU) materialises autograd's pair
    gradient to reduce it over two axes, where a written-out gradient recomputes each
    sum in one fused loop (``multilabel_margin``'s compiled forward+backward: ~0.85x
    against ~0.6x of compiled ``F.multilabel_margin_loss``). Eager torch and jax are
    faster with autograd there (eager ~1.4x, jax ~1.2x with the written-out form).
    """
    if array_kind(arrays[0]) == "torch" and not is_concrete(arrays[0], "torch"):
        return custom_gradient(value, gradient, *arrays)
    return value(*arrays)[0]


def _torch_custom_gradient(value: Any, gradient: Any, arrays: tuple[Any, ...]) -> Any:
    import torch

    from ._torch_autograd import CustomGradient  # torch users only; a class made at import

    if not (torch.is_grad_enabled() and any(_needs_grad(a) for a in arrays)):
        # nothing to differentiate; and torch.compile cannot trace the Function under
        # no_grad (Dynamo: "Unsupported autograd.Function context method")
        return value(*arrays)[0]
    return CustomGradient.apply(value, gradient, len(arrays), *arrays)[0]


def _needs_grad(x: Any) -> bool:
    return bool(getattr(x, "requires_grad", False))


def _jax_custom_gradient(value: Any, gradient: Any, arrays: tuple[Any, ...]) -> Any:
    import jax

    @jax.custom_vjp
    def function(*arrays: Any) -> Any:
        return value(*arrays)[0]

    def forward(*arrays: Any) -> Any:
        out, saved = value(*arrays)
        return out, (arrays, saved)

    def backward(residuals: Any, g: Any) -> Any:
        arrays, saved = jax.lax.optimization_barrier(residuals)
        return tuple(gradient(arrays, saved, g, (True,) * len(arrays)))

    function.defvjp(forward, backward)
    return function(*arrays)


_CUSTOM_GRADIENTS = {"torch": _torch_custom_gradient, "jax": _jax_custom_gradient}


def chunk_loop(
    body: Callable[[tuple[Any, ...], tuple[Any, ...]], tuple[tuple[Any, ...], tuple[Any, ...]]],
    carry: tuple[Any, ...],
    arrays: tuple[Any, ...],
    size: int,
    xp: Any,
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Fold ``body`` over consecutive chunks of ``size`` rows of ``arrays``.

    ``body(carry, chunk) -> (carry, outs)`` is called once per chunk, in order: ``chunk``
    holds rows ``[lo, lo + size)`` of each entry of ``arrays`` (the last chunk what
    remains; a ``None`` entry stays ``None``), ``carry`` is a tuple of arrays whose
    shapes and dtypes the body keeps, ``outs`` a tuple of arrays (or ``None``) whose
    first axis is the chunk's rows. Returns the last carry and each entry of ``outs``
    concatenated over the chunks along axis 0 (``None`` where the body gave ``None``).
    Make the initial ``carry`` from the arrays the body reads (``zeros_like``), not from
    their shapes: under jax's ``shard_map`` a scan's state must keep one type, and what
    the body computes from a sharded input varies over the manual axes.
    A loss that walks a large axis in pieces (``linear_cross_entropy``'s vocabulary)
    runs its loop through this, so that only one chunk's temporaries are alive at a time.

    The standard has no loop. jax: ``jax.lax.scan`` over the full chunks (the arrays
    reshaped to ``(n, size, ...)``), then ``body`` once more for the remainder: XLA sees
    one loop body instead of ``n`` unrolled copies, whose temporaries its scheduler would
    keep alive together, and compiles it once. Every other backend (numpy, torch, cupy,
    dask, array-api-strict): a Python loop over slices (torch eager and
    ``torch.compile`` alike).
    """
    if array_kind(next(a for a in (*carry, *arrays) if a is not None)) == "jax":
        return _jax_chunk_loop(body, carry, arrays, size, xp)
    rows = _rows(arrays)
    outs = []
    for lo in range(0, rows, size):
        carry, out = body(carry, tuple(_rows_of(a, lo, min(lo + size, rows)) for a in arrays))
        outs.append(out)
    return carry, _concat_outs(outs, xp)


def _rows(arrays: tuple[Any, ...]) -> int:
    return int(next(a for a in arrays if a is not None).shape[0])


def _rows_of(a: Any, lo: int, hi: int) -> Any:
    """Rows ``[lo, hi)`` of ``a`` (``hi`` within its rows: the standard leaves a slice past
    the end unspecified)."""
    return None if a is None else a[lo:hi, ...]


def _concat_outs(outs: list[tuple[Any, ...]], xp: Any) -> tuple[Any, ...]:
    """Each position of the chunks' outputs joined along axis 0 (``None`` stays ``None``)."""
    return tuple(
        None if parts[0] is None else (parts[0] if len(parts) == 1 else xp.concat(parts, axis=0))
        for parts in zip(*outs, strict=True)
    )


def _jax_chunk_loop(
    body: Any, carry: tuple[Any, ...], arrays: tuple[Any, ...], size: int, xp: Any
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    import jax

    rows = _rows(arrays)
    full = rows // size
    outs = []
    if full:
        stacked = tuple(
            None if a is None else xp.reshape(a[: full * size, ...], (full, size, *a.shape[1:]))
            for a in arrays
        )
        carry, ys = jax.lax.scan(body, carry, stacked)
        outs.append(
            tuple(None if y is None else xp.reshape(y, (full * size, *y.shape[2:])) for y in ys)
        )
    if full * size < rows:
        carry, out = body(carry, tuple(_rows_of(a, full * size, rows) for a in arrays))
        outs.append(out)
    return carry, _concat_outs(outs, xp)


def cumulative_sum(x: Any, xp: Any, *, axis: int) -> Any:
    """``xp.cumulative_sum(x, axis=axis)``; on torch ``Tensor.cumsum`` itself.

    array-api-compat's torch ``cumulative_sum`` resolves the namespace again inside
    (through its ``lru_cache``-wrapped helpers), which makes ``torch.compile`` warn.
    """
    if array_kind(x) == "torch":
        return x.cumsum(axis)
    return xp.cumulative_sum(x, axis=axis)


def take_along_axis(x: Any, indices: Any, xp: Any, *, axis: int) -> Any:
    """``xp.take_along_axis`` where the namespace has it (numpy, torch, jax, cupy, strict).

    dask's namespace lacks it (BACKEND-NOTES): there each index is compared against
    ``arange`` in a new axis after ``axis`` and the matching values summed, which stays
    lazy and chunked (``indices`` must have ``x``'s shape except along ``axis``; the
    temporary is ``indices.size * x.shape[axis]``). Indices of any integer dtype work
    (torch's ``take_along_dim`` itself takes int64 only).
    """
    wanted = index_dtype(xp, device_of(x))
    if indices.dtype != wanted:
        indices = xp.astype(indices, wanted)
    if hasattr(xp, "take_along_axis"):
        return xp.take_along_axis(x, indices, axis=axis)
    ax = axis % x.ndim
    values = xp.expand_dims(x, axis=ax)  # a new axis ax: the positions along ax + 1
    hit = xp.expand_dims(indices, axis=ax + 1) == _positions(values, ax + 1, xp)
    return _sum_where(hit, values, ax + 1, xp)


def _compared_pick(x: Any, indices: Any, xp: Any, axis: int) -> Any:
    ax = axis % x.ndim
    hit = xp.expand_dims(indices, axis=ax) == _positions(x, ax, xp)
    return _sum_where(hit, x, ax, xp, keepdims=True)


def _positions(x: Any, axis: int, xp: Any) -> Any:
    """``arange(x.shape[axis])`` shaped to broadcast along ``axis`` of ``x``."""
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    return xp.reshape(xp.arange(x.shape[axis], device=device_of(x)), tuple(shape))


def _sum_where(hit: Any, x: Any, axis: int, xp: Any, *, keepdims: bool = False) -> Any:
    """The values of ``x`` where ``hit``, summed along ``axis`` (a compare-and-sum gather).

    The other lanes take ``zeros_like``, not a 0-d zero: on a dask cluster a 0-d array
    is one key that every chunk's task depends on, and under ``tests/scale``'s memory
    limit a worker then died in one run of three (with ``zeros_like``, none in six);
    inductor folds either into its loop (multi_margin compiled: 0.27x torch's, as with
    the 0-d zero)."""
    return xp.sum(xp.where(hit, x, xp.zeros_like(x)), axis=axis, keepdims=keepdims)


def pick_along_axis(x: Any, indices: Any, xp: Any, *, axis: int) -> Any:
    """``x`` at one index per slice along ``axis`` (``indices``: ``x``'s shape without
    ``axis``, each in range), ``axis`` kept with size 1.

    ``take_along_axis``; while torch is compiling, a comparison of the index with
    ``arange`` along ``axis`` and a masked sum instead. Under ``torch.compile``
    (inductor, CPU) a gather's backward is a ``scatter_add`` into zeros, and the loops
    around both run one row at a time; the comparison fuses into the elementwise loops
    of its neighbours and its backward is a select. On ``multi_margin``'s (52434, 5)
    benchmark input the compiled forward+backward took ~1.1x compiled
    ``F.multi_margin_loss``'s time with the gather, ~0.3x with the comparison. Eager
    torch, numpy and jax gather faster (eager torch's forward 1.7 against 2.5 ms there).
    """
    if array_kind(x) == "torch" and not is_concrete(x, "torch"):
        return _compared_pick(x, indices, xp, axis)
    return take_along_axis(x, xp.expand_dims(indices, axis=axis), xp, axis=axis)


def _torch_positive_part(x: Any, xp: Any) -> Any:
    return x.relu()


def _abs_operator(x: Any, xp: Any) -> Any:
    return abs(x)


def _jax_absolute(x: Any, xp: Any) -> Any:
    return x * xp.sign(x)


_ABSOLUTES = {"jax": _jax_absolute}


def absolute(x: Any, xp: Any) -> Any:
    """``|x|`` whose gradient is ``sign(x)``, 0 at 0, on every backend: torch's ``abs``
    (and ``F.l1_loss``'s gradient at a zero residual).

    jax's ``abs`` has gradient 1 at 0, so there it is ``x · sign(x)``: the same value
    (``sign`` is exact; NaN stays NaN, ``±inf`` gives ``inf``), one fused loop under
    ``jax.jit``. Elsewhere the ``abs`` operator (NumPy then reuses a temporary in place).
    """
    return _ABSOLUTES.get(array_kind(x), _abs_operator)(x, xp)


def relu(x: Any, xp: Any) -> Any:
    """``max(x, 0)``, against a 0-d zero of ``x``'s dtype and device (``xp.maximum``'s
    gradient, 1/2 at 0); ``positive_part`` where torch's own ``relu`` is wanted.

    Not ``xp.maximum(x, 0.0)``: array-api-compat turns the Python scalar into a tensor
    through ``torch.result_type``, which ``torch.compile(fullgraph=True)`` cannot trace.
    """
    return xp.maximum(x, scalar_like(0.0, x, xp))


def _jax_positive_part(x: Any, xp: Any) -> Any:
    import jax

    return jax.nn.relu(x)


_POSITIVE_PARTS = {"torch": _torch_positive_part, "jax": _jax_positive_part}


def positive_part(x: Any, xp: Any) -> Any:
    """``max(x, 0)`` with the gradient 0 at 0 on every backend (torch's and jax's relu,
    and torch's margin kernels): NaN stays NaN and ``-inf`` gives 0.

    The standard has no relu, and ``maximum``'s gradient at 0 is 1/2. torch:
    ``Tensor.relu``, whose backward needs its output only where ``maximum``'s keeps two
    masks (``x == 0``, ``x < 0``): on ``multi_margin``'s (52434, 5) benchmark input the
    compiled forward+backward took ~2x as long with ``maximum``, and eager torch's forward
    is as fast as with it (a select is ~20% slower). jax: ``jax.nn.relu`` (its
    ``value_and_grad`` ~15% slower than ``maximum``'s there, the price of the same
    gradient as torch's). Libraries without autograd: ``xp.maximum`` against a 0-d zero
    (NumPy's ``where`` takes ~14x as long).
    """
    return _POSITIVE_PARTS.get(array_kind(x), relu)(x, xp)


def is_concrete(x: Any, kind: str | None = None) -> bool:
    """Whether the values of array ``x`` can be read now, without tracing or computing.

    ``array_api_compat.is_lazy_array`` answers True for every jax array, concrete ones
    too, and knows nothing of ``torch.compile``; so: a jax array is concrete unless it is
    a tracer or jax is tracing (a concrete array closed over by a jitted function turns
    into a tracer at its first operation), a torch tensor unless torch is compiling, and
    anything else unless it is lazy (dask).
    """
    kind = kind or array_kind(x)
    if kind == "torch":
        return not tracing()
    if kind == "jax":
        import jax

        return not isinstance(x, jax.core.Tracer) and _jax_not_tracing()
    if kind == "numpy":
        return True
    return not array_api_compat.is_lazy_array(x)


def _jax_not_tracing() -> bool:
    """True outside any jax trace. jax has no public query for this; if its private one
    moves, report "tracing", which only skips the eager value checks (safe)."""
    try:
        from jax._src.core import trace_state_clean
    except ImportError:  # pragma: no cover - depends on the jax release
        return False
    return bool(trace_state_clean())
