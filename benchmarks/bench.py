"""Benchmark every registered loss against the native loss, on every installed backend.

    python benchmarks/bench.py [--filter TEXT] [--size tiny|large] [--mode MODE]
                               [--compile-all] [--budget SECONDS] [--compile-budget SECONDS]
                               [--no-write]
    python benchmarks/bench.py --vocabulary [--shape N H V] [--rounds R] [--no-write]
                               [--framework torch|jax]

For each loss of ``anyloss.available()`` the inputs are its registry example (tiny), and
the same rows repeated to about 2**18 elements in the first array (large). Modes:

* ``numpy``: forward, against the textbook NumPy formula (``natives.NUMPY``);
* ``cupy``: the same on cupy arrays, where cupy (``pip install cupy-cuda12x``) and a GPU
  are present (the formulas' NumPy calls dispatch to cupy);
* ``torch``: eager forward, and forward + backward, against ``torch.nn.functional``, or
  where torch has no kernel, against MONAI's loss of the same value (``natives.MONAI``:
  the Dice family, focal, MCC, GIoU), if monai is installed (else the run says so and
  times those losses alone);
* ``torch.compile``: forward + backward, both sides compiled (inductor, ``fullgraph``),
  compile time excluded; large inputs, the losses of ``COMPILED`` (every loss with
  ``--compile-all``: ~15 s a compile);
* ``jax``: ``jax.jit`` of the value, and of ``jax.value_and_grad``, against Optax;
* ``torch-cuda``: torch eager forward, and forward + backward, where a GPU is present
  (each call ends with a ``torch.cuda.synchronize``).

Threads are pinned to one (set before numpy, torch or jax is imported), and on Linux the
process to one core (XLA's CPU runtime keeps threads of its own). anyloss and
the native loss alternate in rounds of about 5 ms (at least 8, at most 200 each), each
going first in half of them (interleaved, so both see the same machine load); a side's
time is the median of its rounds, the ratio
the quotient of the medians (< 1: anyloss is faster). Tiny rows also give the overhead
in µs (anyloss - native). Peak memory is the growth during one call: the torch
profiler's running sum of CPU allocations (forward + backward), XLA's temp buffers of
the compiled function for jax, ``tracemalloc`` for NumPy. A loss without a native
counterpart on a backend is timed alone ("-" for the comparison). The result is
written to ``docs/benchmarks.md``.

``--vocabulary`` runs only the large-vocabulary section: ``linear_cross_entropy`` against
the cross-entropy of materialised logits ``hidden @ weight.T`` (anyloss's
``cross_entropy`` and the framework's own: ``F.cross_entropy``, Optax), forward +
backward w.r.t. hidden and weight, at N = 8192 tokens, H = 512, V = 65536 (float32) on
torch (eager) and ``jax.jit``. Peak memory: torch, the growth of the peak resident set
during a side's first call (Linux), which is its warm-up; jax, XLA's temp buffers. Then
``--rounds`` interleaved rounds of one call (about half a minute of CPU on one thread),
timed in CPU seconds of the process, torch's with glibc reusing freed buffers again
(``heap_reuse``). Its table
replaces the section between the ``VOCABULARY`` markers of ``docs/benchmarks.md``, which
a full run keeps.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
if hasattr(os, "sched_setaffinity"):  # Linux: the whole process on one core
    # XLA's CPU runtime still ran fused steps on two threads besides the caller's with the
    # flag above (jax.profiler), so thread-count settings alone do not give one thread
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import ctypes  # noqa: E402
import datetime  # noqa: E402
import importlib.util  # noqa: E402
import math  # noqa: E402
import pathlib  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

import anyloss  # noqa: E402
from anyloss import _checker  # noqa: E402
from anyloss._delegation import delegated  # noqa: E402
from benchmarks.natives import JAX, MONAI, NUMPY, TORCH, Native  # noqa: E402

LARGE_ELEMENTS = 2**18
MAX_ROWS = dict.fromkeys(("ntxent", "supcon", "circle", "clip_contrastive"), 2048)  # (N, N)
VOCABULARY_SHAPE = (8192, 512, 65536)
VOCABULARY_MARKS = ("<!-- VOCABULARY -->", "<!-- /VOCABULARY -->")
VOCABULARY_NOTES: list[str] = []  # lines the vocabulary benches add under their tables
COMPILED = ("mse", "huber", "binary_cross_entropy_with_logits", "cross_entropy", "log_cosh")
DOC = ROOT.parent / "docs" / "benchmarks.md"


@dataclass
class Row:
    mode: str
    loss: str
    size: str
    native: str
    ours: float
    theirs: float | None
    mem_ours: float | None = None
    mem_theirs: float | None = None


# --- inputs -----------------------------------------------------------------------------


def example(name: str, size: str) -> tuple[list[Any], dict[str, Any]]:
    """float32/int64 NumPy inputs: the registry example, its rows repeated when large."""
    arrays, kwargs = _checker.example(name)(np.random.default_rng(0))
    first = arrays[0]
    n = first.shape[0] if first.ndim else 1
    reps = 1
    if size == "large" and first.ndim:
        reps = max(1, math.ceil(LARGE_ELEMENTS / first.size))
        reps = min(reps, max(1, MAX_ROWS.get(name, 10**9) // n))

    def grow(a: Any) -> Any:
        if not isinstance(a, np.ndarray):
            return a
        if reps > 1 and a.ndim and a.shape[0] == n:
            a = np.concatenate([a] * reps, axis=0)
        return a.astype(np.float32) if a.dtype.kind == "f" else a

    return [grow(a) for a in arrays], {k: grow(v) for k, v in kwargs.items()}


def to_torch(a: Any, device: str) -> Any:
    import torch

    return torch.from_numpy(a).to(device) if isinstance(a, np.ndarray) else a


def to_jax(a: Any) -> Any:
    import jax.numpy as jnp

    return jnp.asarray(a) if isinstance(a, np.ndarray) else a


# --- timing -----------------------------------------------------------------------------


ROUND_SECONDS = 0.005
"""The length of one round of ``interleaved``."""


def interleaved(
    ours: Callable[[], Any], theirs: Callable[[], Any] | None, budget: float
) -> tuple[float, float | None]:
    """Median seconds per call of each side, measured in alternating rounds.

    The order alternates too (ours first in even rounds, last in odd ones, as many of
    each): with ours always first, two identical XLA programs (``mse`` against Optax,
    the same HLO) measured 1.22 and 1.24 in two runs; alternating, 0.99.
    """
    sides = [ours] if theirs is None else [ours, theirs]
    for f in sides:  # warm up (and compile)
        f()
        f()
    t0 = time.perf_counter()
    ours()
    once = max(time.perf_counter() - t0, 1e-7)
    # rounds of about ROUND_SECONDS each, at least 8: many short rounds let a burst of
    # load on a shared machine spoil few of them, and the median drops those
    per_round = max(1, int(ROUND_SECONDS / once))
    rounds = max(8, min(200, int(budget / len(sides) / (per_round * once))))
    rounds += rounds % 2  # each side first in as many rounds as last
    samples: list[list[float]] = [[] for _ in sides]
    for r in range(rounds):
        order = list(enumerate(sides))
        for i, f in order if r % 2 == 0 else order[::-1]:
            t0 = time.perf_counter()
            for _ in range(per_round):
                f()
            samples[i].append((time.perf_counter() - t0) / per_round)
    meds = [statistics.median(s) for s in samples]
    return meds[0], (meds[1] if theirs is not None else None)


def torch_peak(fn: Callable[[], Any]) -> float:
    """Peak of the running sum of the allocator's CPU allocations and frees during ``fn()``.

    Read from the profiler's raw allocation events, each with its own time: the per-op
    ``cpu_memory_usage`` charges a free to the op it happens inside, so frees within an op
    that has children (an ``autograd.Function``, a composite op) would count only at its
    end and allocations inside it twice as long as they live.
    """
    from torch._C._profiler import _EventType
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    deltas: list[tuple[int, int]] = []
    nodes = list(prof.profiler.kineto_results.experimental_event_tree())
    while nodes:
        node = nodes.pop()
        if node.tag == _EventType.Allocation:
            deltas.append((node.start_time_ns, node.extra_fields.alloc_size))
        nodes.extend(node.children)
    current = peak = 0
    for _, delta in sorted(deltas):
        current += delta
        peak = max(peak, current)
    return float(peak)


def numpy_peak(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return float(peak)


# --- modes ------------------------------------------------------------------------------


def call(name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    return getattr(anyloss, name)(*args, **kwargs)


def native_call(native: Native | None, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if native is None:
        return None
    fn = native[1]
    return lambda: fn(*args, **kwargs)


def bench_numpy(name: str, size: str, budget: float) -> list[Row]:
    return bench_array_module(name, size, budget, "numpy", lambda a: a, lambda: None)


def bench_cupy(name: str, size: str, budget: float) -> list[Row]:
    """cupy on the GPU against the same textbook formulas: ``natives.NUMPY`` calls NumPy
    functions, which dispatch to cupy for cupy arrays (``__array_function__``,
    ``__array_ufunc__``). Each call ends with a sync of the stream."""
    import cupy

    stream_sync = lambda: cupy.cuda.get_current_stream().synchronize()  # noqa: E731
    return bench_array_module(name, size, budget, "cupy", cupy.asarray, stream_sync)


def have_cupy_gpu() -> bool:
    """cupy is installed and sees a GPU."""
    if importlib.util.find_spec("cupy") is None:
        return False
    import cupy

    try:
        return bool(cupy.cuda.runtime.getDeviceCount())
    except cupy.cuda.runtime.CUDARuntimeError:
        return False


def bench_array_module(
    name: str,
    size: str,
    budget: float,
    mode: str,
    convert: Callable[[Any], Any],
    sync: Callable[[], None],
) -> list[Row]:
    """The forward of anyloss against ``natives.NUMPY``'s formula on the arrays of one
    NumPy-like library (``convert`` makes them from NumPy's; ``sync`` waits for a call
    to finish). Peak memory (``tracemalloc``) on NumPy's large inputs only."""
    arrays, np_kwargs = example(name, size)
    args = [convert(a) if isinstance(a, np.ndarray) else a for a in arrays]
    kwargs = {k: convert(v) if isinstance(v, np.ndarray) else v for k, v in np_kwargs.items()}
    native = NUMPY.get(name)

    def synced(f: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            out = f()
            sync()
            return out

        return run

    ours = synced(lambda: call(name, args, kwargs))
    native_fn = native_call(native, args, kwargs)
    theirs = synced(native_fn) if native_fn else None
    t_ours, t_theirs = interleaved(ours, theirs, budget)
    row = Row(mode, name, size, native[0] if native else "-", t_ours, t_theirs)
    if size == "large" and mode == "numpy":
        row.mem_ours = numpy_peak(ours)
        row.mem_theirs = numpy_peak(theirs) if theirs else None
    return [row]


def _torch_inputs(name: str, size: str, device: str) -> tuple[list[Any], dict[str, Any], Any]:
    args, kwargs = example(name, size)
    targs = [to_torch(a, device) for a in args]
    tkw = {k: to_torch(v, device) for k, v in kwargs.items()}
    leaf = targs[0].detach().requires_grad_(True)
    return [leaf, *targs[1:]], tkw, leaf


HAVE_MONAI = importlib.util.find_spec("monai") is not None


def torch_baseline(name: str) -> Native | None:
    """``torch.nn.functional``'s loss, else MONAI's (when installed), else None."""
    if name in TORCH:
        return TORCH[name]
    if name in MONAI and not HAVE_MONAI:
        print(f"{name}: monai is not installed, timed without its baseline", file=sys.stderr)
    return MONAI.get(name) if HAVE_MONAI else None


def bench_torch(name: str, size: str, budget: float, device: str = "cpu") -> list[Row]:
    args, kwargs, leaf = _torch_inputs(name, size, device)
    native = torch_baseline(name)
    mode = "torch" if device == "cpu" else "torch-cuda"
    sync = _cuda_sync if device != "cpu" else (lambda: None)

    def fwd(f: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with _no_grad():
                out = f()
            sync()
            return out

        return run

    def fwd_bwd(f: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            out = f()
            out.backward()
            leaf.grad = None
            sync()

        return run

    ours = lambda: call(name, args, kwargs)  # noqa: E731
    theirs = native_call(native, args, kwargs)
    label = native[0] if native else "-"
    rows = []
    for what, wrap in (("forward", fwd), ("forward+backward", fwd_bwd)):
        t_ours, t_theirs = interleaved(wrap(ours), wrap(theirs) if theirs else None, budget)
        row = Row(f"{mode} {what}", name, size, label, t_ours, t_theirs)
        if size == "large" and what == "forward+backward" and device == "cpu":
            row.mem_ours = torch_peak(wrap(ours))
            row.mem_theirs = torch_peak(wrap(theirs)) if theirs else None
        rows.append(row)
    return rows


def _no_grad() -> Any:
    import torch

    return torch.no_grad()


def _cuda_sync() -> None:
    import torch

    torch.cuda.synchronize()


def bench_compile(name: str, size: str, budget: float) -> list[Row]:
    import torch

    args, kwargs, leaf = _torch_inputs(name, size, "cpu")
    native = TORCH.get(name)
    torch._dynamo.reset()  # every loss compiles the same lambda: start each afresh

    def compiled_step(f: Callable[..., Any]) -> Callable[[], Any]:
        step = torch.compile(lambda x: f(x, *args[1:], **kwargs), fullgraph=True, dynamic=False)

        def run() -> None:
            step(leaf).backward()
            leaf.grad = None

        return run

    ours = compiled_step(getattr(anyloss, name))
    theirs = compiled_step(native[1]) if native else None
    label = native[0] if native else "-"
    if theirs is not None:
        try:
            theirs()  # compiles
        except Exception as exc:  # the native loss itself does not compile (fullgraph)
            theirs, label = None, f"{label}: does not compile ({type(exc).__name__})"
            torch._dynamo.reset()
    t_ours, t_theirs = interleaved(ours, theirs, budget)
    return [Row("torch.compile forward+backward", name, size, label, t_ours, t_theirs)]


def bench_jax(name: str, size: str, budget: float) -> list[Row]:
    import jax

    args, kwargs = example(name, size)
    jargs = [to_jax(a) for a in args]
    jkw = {k: to_jax(v) for k, v in kwargs.items()}
    native = JAX.get(name)

    def value(f: Callable[..., Any]) -> Any:
        return jax.jit(lambda x, *rest: f(x, *rest, **jkw))

    def grad(f: Callable[..., Any]) -> Any:
        return jax.jit(jax.value_and_grad(lambda x, *rest: f(x, *rest, **jkw)))

    rows = []
    ours_fn = getattr(anyloss, name)
    for what, make in (("value", value), ("value_and_grad", grad)):
        f_ours = make(ours_fn)
        f_theirs = make(native[1]) if native else None

        def run(f: Any) -> Callable[[], Any]:
            return lambda: jax.block_until_ready(f(*jargs))

        t_ours, t_theirs = interleaved(run(f_ours), run(f_theirs) if f_theirs else None, budget)
        row = Row(f"jax.jit {what}", name, size, native[0] if native else "-", t_ours, t_theirs)
        if size == "large":
            row.mem_ours = _xla_temp(f_ours, jargs)
            row.mem_theirs = _xla_temp(f_theirs, jargs) if f_theirs else None
        rows.append(row)
    return rows


def _xla_temp(f: Any, args: list[Any]) -> float | None:
    analysis = f.lower(*args).compile().memory_analysis()
    return float(analysis.temp_size_in_bytes) if analysis is not None else None


# --- the large-vocabulary section --------------------------------------------------------


def vocabulary_inputs(n: int, h: int, v: int) -> tuple[Any, Any, Any]:
    """float32 hidden states and an unembedding of LM scale, int64 token labels."""
    rng = np.random.default_rng(0)
    hidden = rng.standard_normal((n, h), dtype=np.float32)
    weight = rng.standard_normal((v, h), dtype=np.float32) / np.float32(math.sqrt(h))
    return hidden, weight, rng.integers(0, v, n)


def _proc_status(key: str) -> int:
    """A ``/proc/self/status`` field in bytes (``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status", encoding="ascii") as f:
        line = next(x for x in f if x.startswith(key + ":"))
    return int(line.split()[1]) * 1024


def rss_peak(fn: Callable[[], Any]) -> float:
    """Growth of the resident set's peak during ``fn()`` (Linux: the peak reset first).

    What the process really held at its highest, for torch and XLA alike; the torch
    profiler's running sum misses frees made outside an operator (those of a custom
    ``autograd.Function``'s temporaries), so it is not used here.
    """
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # reset VmHWM to the current resident set
    base = _proc_status("VmRSS")
    fn()
    return float(_proc_status("VmHWM") - base)


def heap_reuse() -> None:
    """glibc back to reusing freed buffers of up to 32 MiB (after ``rss_peak``'s 64 KiB).

    ``MALLOC_MMAP_THRESHOLD_=65536`` makes every freed buffer leave the process, which the
    peak needs, but then each new one is fresh pages, faulted in and zeroed by the kernel:
    a chunked loss allocating thousands of 16 MiB temporaries pays that thousands of
    times (it doubled ``linear_cross_entropy``'s time). Times are measured in the state
    glibc's own dynamic threshold reaches in a process that has freed a 32 MiB buffer
    (mmap threshold 32 MiB, trim threshold 64 MiB), as in a training loop.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 64 * 2**20)  # M_TRIM_THRESHOLD


def rounds_of(sides: list[Callable[[], Any]], rounds: int) -> list[float]:
    """Median CPU seconds per call of each side (already warm), one call per round, alternating.

    The process's CPU time (``time.process_time``): with one thread it is the call's
    compute, which the other processes of a shared machine do not inflate as they do the
    wall time (a call takes tens of seconds; a loaded machine stretches it 2-4x).
    """
    samples: list[list[float]] = [[] for _ in sides]
    for _ in range(rounds):
        for i, f in enumerate(sides):
            t0 = time.process_time()
            f()
            samples[i].append(time.process_time() - t0)
    return [statistics.median(s) for s in samples]


def vocabulary_rows(
    mode: str, size: str, labels: list[str], peaks: list[float | None], times: list[float]
) -> list[Row]:
    """One row per baseline: ``linear_cross_entropy`` (side 0) against each materialised one."""
    return [
        Row(mode, "linear_cross_entropy", size, label, times[0], t, peaks[0], m)
        for label, t, m in zip(labels, times[1:], peaks[1:], strict=True)
    ]


def bench_vocabulary_torch(shape: tuple[int, int, int], rounds: int) -> list[Row]:
    import torch
    import torch.nn.functional as F

    hidden, weight, labels = (torch.from_numpy(a) for a in vocabulary_inputs(*shape))
    h = hidden.requires_grad_(True)
    w = weight.requires_grad_(True)

    def step(loss: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            loss().backward()
            h.grad = w.grad = None

        return run

    sides = [
        step(lambda: anyloss.linear_cross_entropy(h, w, labels)),
        step(lambda: anyloss.cross_entropy(h @ w.T, labels)),
        step(lambda: F.cross_entropy(F.linear(h, w), labels)),
    ]
    peaks: list[float | None] = [rss_peak(f) for f in sides]  # also the warm-up
    heap_reuse()
    for f in sides:
        f()  # warm-up with the heap reused
    names = ["anyloss.cross_entropy(h @ W.T)", "F.cross_entropy(F.linear(h, W))"]
    size = "N={} H={} V={}".format(*shape)
    return vocabulary_rows("torch forward+backward", size, names, peaks, rounds_of(sides, rounds))


def bench_vocabulary_jax(shape: tuple[int, int, int], rounds: int) -> list[Row]:
    import jax
    import optax

    hidden, weight, labels = (to_jax(a) for a in vocabulary_inputs(*shape))
    losses = [
        lambda h, w: anyloss.linear_cross_entropy(h, w, labels),
        lambda h, w: anyloss.cross_entropy(h @ w.T, labels),
        lambda h, w: optax.softmax_cross_entropy_with_integer_labels(h @ w.T, labels).mean(),
    ]
    names = ["anyloss.cross_entropy(h @ W.T)", "optax.softmax_cross_entropy_with_integer_labels"]
    compiled, compile_s = [], []
    for f in losses:
        t0 = time.perf_counter()
        compiled.append(
            jax.jit(jax.value_and_grad(f, argnums=(0, 1))).lower(hidden, weight).compile()
        )
        compile_s.append(time.perf_counter() - t0)
    VOCABULARY_NOTES.append(
        "jax compile (lower + compile of `value_and_grad`): "
        + ", ".join(
            f"{n} {t:.1f} s"
            for n, t in zip(("linear_cross_entropy", *names), compile_s, strict=True)
        )
        + "."
    )
    peaks: list[float | None] = []  # XLA's own pool hides frees from the resident set
    for c in compiled:
        analysis = c.memory_analysis()
        peaks.append(None if analysis is None else float(analysis.temp_size_in_bytes))
    sides = [lambda c=c: jax.block_until_ready(c(hidden, weight)) for c in compiled]
    for f in sides:
        f()  # warm-up
    size = "N={} H={} V={}".format(*shape)
    return vocabulary_rows("jax.jit value_and_grad", size, names, peaks, rounds_of(sides, rounds))


def vocabulary_markdown(rows: list[Row], header: str, seconds: float) -> str:
    start, end = VOCABULARY_MARKS
    out = [
        start,
        "## Large vocabulary: `linear_cross_entropy` vs materialised logits",
        "",
        "Written by `python benchmarks/bench.py --vocabulary` (see its docstring). Forward +",
        "backward (w.r.t. hidden and weight) of the mean token cross-entropy, float32, one",
        "thread: `linear_cross_entropy` (vocabulary chunks, `chunk_size=None`) against the",
        "cross-entropy of the materialised (N, V) logits. Peak: torch, the growth of the",
        "process's peak resident set during one call (VmHWM reset first; glibc's mmap",
        "threshold fixed at 64 KiB so freed buffers leave), the gradients included; jax,",
        "XLA's temporary buffers of the compiled `value_and_grad` (its CPU allocator keeps",
        "freed memory, so the resident set cannot tell). Times: medians of interleaved",
        "rounds, one call each, in CPU seconds of the process (one thread, so its compute;",
        "unlike wall time, not stretched by other processes on a shared machine); torch's",
        "after a second warm-up with glibc reusing freed buffers up to 32 MiB (as its dynamic",
        "threshold does in a training loop; with the 64 KiB threshold every chunk temporary",
        "is fresh, faulted-in pages). Ratios: linear_cross_entropy / materialised.",
        "",
        header,
        f"Run time: {seconds / 60:.1f} min.",
        "",
    ]
    for mode in dict.fromkeys(r.mode for r in rows):
        out += [f"### {mode}", "", *table([r for r in rows if r.mode == mode]), ""]
    out += [*VOCABULARY_NOTES, ""] if VOCABULARY_NOTES else []
    return "\n".join([*out, end])


def with_section(doc: str, section: str) -> str:
    """``doc`` with its vocabulary section replaced by ``section`` (appended if absent)."""
    start, end = VOCABULARY_MARKS
    if start in doc and end in doc:
        return doc[: doc.index(start)] + section + doc[doc.index(end) + len(end) :]
    return doc.rstrip("\n") + "\n\n" + section + "\n"


def kept_section() -> str:
    """The vocabulary section of the current ``docs/benchmarks.md`` ("" if none)."""
    start, end = VOCABULARY_MARKS
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if start not in doc or end not in doc:
        return ""
    return doc[doc.index(start) : doc.index(end) + len(end)]


def main_vocabulary(
    shape: tuple[int, int, int], rounds: int, write: bool, frameworks: list[str]
) -> None:
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ:  # read by glibc at start: run again
        os.environ["MALLOC_MMAP_THRESHOLD_"] = "65536"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    import torch

    torch.set_num_threads(1)
    header, start = machine(), time.perf_counter()
    rows: list[Row] = []
    benches = {"torch": bench_vocabulary_torch, "jax": bench_vocabulary_jax}
    for framework in frameworks:
        new = benches[framework](shape, rounds)
        for r in new:
            progress(r)
        rows += new
    section = vocabulary_markdown(rows, header, time.perf_counter() - start)
    if not write:
        print(section)
        return
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    DOC.write_text(with_section(doc, section), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)


# --- output -----------------------------------------------------------------------------


def fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def fmt_mem(b: float | None) -> str:
    return "-" if b is None else f"{b / 2**20:.1f} MiB"


def fmt_ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def table(rows: list[Row]) -> list[str]:
    tiny = rows[0].size == "tiny"
    head = ["loss", "native", "anyloss", "native time", "ratio"]
    head += ["overhead"] if tiny else ["anyloss peak", "native peak", "memory ratio"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    for r in rows:
        cells = [f"`{r.loss}`", r.native, fmt_time(r.ours), fmt_time(r.theirs)]
        cells.append(fmt_ratio(r.ours, r.theirs))
        if tiny:
            over = "-" if r.theirs is None else f"{(r.ours - r.theirs) * 1e6:+.1f} µs"
            cells.append(over)
        else:
            cells += [fmt_mem(r.mem_ours), fmt_mem(r.mem_theirs)]
            cells.append(fmt_ratio(r.mem_ours, r.mem_theirs))
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def markdown(rows: list[Row], header: str, seconds: float) -> str:
    out = [
        "# Benchmarks",
        "",
        "Written by `python benchmarks/bench.py` (`nox -s bench`); see that file's docstring",
        "for the method. Ratios are anyloss / native (below 1: anyloss is faster), each side",
        "the median of interleaved rounds, one thread. Peak: memory growth during one call",
        "(torch: forward + backward). '-': no native counterpart on that backend.",
        "Where torch has no kernel, the torch rows compare with MONAI's loss of the same",
        "value (`benchmarks/natives.py`, `MONAI`)"
        + ("." if HAVE_MONAI else "; monai was not installed for this run: timed alone."),
        "The tiny-input overheads here are wall clock; `python benchmarks/overhead.py`",
        "(`--grad`: forward and backward) measures those of the delegated losses in thread",
        "CPU time over paired rounds, which is steadier on a shared machine.",
        "",
        header,
        f"Run time: {seconds / 60:.1f} min.",
        "",
    ]
    modes = list(dict.fromkeys(r.mode for r in rows))
    for mode in modes:
        for size in ("large", "tiny"):
            part = [r for r in rows if r.mode == mode and r.size == size]
            if part:
                out += [f"## {mode}, {size} inputs", "", *table(part), ""]
                out += noise_floor(part)
    return "\n".join(out)


ADAPTED_WHEN_COMPILED = ("nll", "cross_entropy", "ctc", "multilabel_margin", "multi_margin")
"""Delegated losses whose compiled graph is not the native one: nll and cross_entropy
add NaN for an out-of-range label (values are not checked under ``torch.compile``), ctc,
multilabel_margin and multi_margin run their portable forms (torch's CTC cannot be traced;
the other two compile faster than torch's kernels and give NaN for a bad label)."""


def noise_floor(rows: list[Row]) -> list[str]:
    """For the torch.compile rows: the ratios of the delegated losses that compile to the
    native graph itself, i.e. the spread of identical programs in this run."""
    same = [
        r
        for r in rows
        if r.mode.startswith("torch.compile")
        and r.theirs
        and delegated(r.loss, "torch")
        and r.loss not in ADAPTED_WHEN_COMPILED
    ]
    if not same:
        return []
    ratios = [r.ours / r.theirs for r in same if r.theirs]  # (theirs: known, for mypy)
    names = ", ".join(r.loss for r in same)
    return [
        f"Noise floor: {names} compile to the native graph itself (delegated); their "
        f"ratios span {min(ratios):.2f}-{max(ratios):.2f} in this run.",
        "",
    ]


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    versions = []
    for mod in ("numpy", "torch", "jax", "optax"):
        if importlib.util.find_spec(mod):
            versions.append(f"{mod} {importlib.import_module(mod).__version__}")
    text = (
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on "
        f"{platform.machine()} with {os.cpu_count()} CPUs ({', '.join(versions)})"
    )
    if load is not None:
        text += f"; load average at the start {load[0]:.1f}"
        if load[0] > 1.5:
            text += " (a loaded, shared machine: absolute times are inflated, ratios noisy)"
    return text + "."


def progress(r: Row) -> None:
    """One measured row on stderr, as it comes."""
    print(
        f"{r.mode:32} {r.loss:34} {r.size:5} {fmt_time(r.ours):>10} "
        f"{fmt_time(r.theirs):>10} {fmt_ratio(r.ours, r.theirs):>5} "
        f"{fmt_mem(r.mem_ours):>10} {fmt_mem(r.mem_theirs):>10}",
        file=sys.stderr,
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--filter", default="")
    parser.add_argument("--size", action="append", choices=["large", "tiny"])
    modes = ["numpy", "cupy", "torch", "torch-cuda", "compile", "jax"]
    parser.add_argument("--mode", action="append", choices=modes)
    parser.add_argument("--compile-all", action="store_true")
    parser.add_argument("--budget", type=float, default=0.15, help="seconds per measurement")
    parser.add_argument(
        "--compile-budget",
        type=float,
        default=1.0,
        help="seconds per torch.compile measurement (its ratios sit near the 1.05 goal, where "
        "0.15 s in 8 rounds read identical graphs 0.97-1.12, 1 s in rounds of 5 ms 1.00-1.06 "
        "on a noisy machine; the compile itself takes ~15 s)",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--vocabulary", action="store_true", help="only linear_cross_entropy")
    parser.add_argument("--shape", type=int, nargs=3, default=VOCABULARY_SHAPE)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --vocabulary")
    parser.add_argument("--framework", action="append", choices=["torch", "jax"])
    opts = parser.parse_args()
    if opts.vocabulary:
        frameworks = opts.framework or ["torch", "jax"]
        main_vocabulary(tuple(opts.shape), opts.rounds, not opts.no_write, frameworks)
        return
    sizes = opts.size or ["large", "tiny"]
    modes = opts.mode or modes
    have = {m: importlib.util.find_spec(m) is not None for m in ("torch", "jax", "optax")}
    if have["torch"]:
        import torch

        torch.set_num_threads(1)
    cupy_gpu = "cupy" in modes and have_cupy_gpu()
    if "cupy" in modes and not cupy_gpu:
        print("cupy: not installed, or no GPU: its rows are left out", file=sys.stderr)
    header = machine()
    start = time.perf_counter()
    rows: list[Row] = []
    names = [n for n in anyloss.available() if opts.filter in n]
    for name in names:
        for size in sizes:
            new: list[Row] = []
            if "numpy" in modes:
                new += bench_numpy(name, size, opts.budget)
            if cupy_gpu:
                new += bench_cupy(name, size, opts.budget)
            if "torch" in modes and have["torch"]:
                new += bench_torch(name, size, opts.budget)
            if "torch-cuda" in modes and have["torch"] and torch.cuda.is_available():
                new += bench_torch(name, size, opts.budget, device="cuda")
            compiled = opts.compile_all or name in COMPILED
            if "compile" in modes and have["torch"] and size == "large" and compiled:
                new += bench_compile(name, size, opts.compile_budget)
            if "jax" in modes and have["jax"]:
                new += bench_jax(name, size, opts.budget)
            for r in new:
                progress(r)
            rows += new
    text = markdown(rows, header, time.perf_counter() - start)
    if opts.no_write:
        print(text)
    else:
        kept = kept_section()
        DOC.write_text(text + "\n" + (f"\n{kept}\n" if kept else ""), encoding="utf-8")
        print(f"wrote {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
