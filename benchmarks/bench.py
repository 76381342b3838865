"""Time every anyloss benchmark against the framework's native loss, in one run.

    python benchmarks/bench.py [--backend numpy --backend torch ...] [--size large|tiny]
                               [--filter TEXT] [--markdown]

For each ``Bench`` in ``benchmarks/cases_*.py`` whose backend is importable (torch-cuda
and cupy need a GPU), both sides run on the same inputs: jax sides are wrapped in
``jax.jit`` (compile excluded), torch runs eagerly, CUDA work is synchronised. The table
shows the median time per call, the ratio anyloss / native (< 1 means anyloss is faster)
and the peak extra memory of one call: ``tracemalloc`` for NumPy, XLA's temp buffer size
for jax, ``max_memory_allocated`` for CUDA, and the RSS high-water mark of a fresh
subprocess for torch on the CPU (large size only). Not a test: numbers, not verdicts.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from benchmarks._bench import Bench  # noqa: E402


def load_benches() -> list[Bench]:
    benches: list[Bench] = []
    for path in sorted(ROOT.glob("cases_*.py")):
        benches += importlib.import_module(f"benchmarks.{path.stem}").BENCHES
    return benches


def backend_ok(name: str) -> bool:
    try:
        if name == "numpy":
            return True
        if name == "torch":
            import torch

            return True
        if name == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)
            return True
        if name == "torch-cuda":
            import torch

            return bool(torch.cuda.is_available())
        if name == "cupy":
            import cupy

            return bool(cupy.cuda.is_available())
    except ImportError:
        return False
    return False


def _sync(backend: str, out: Any) -> None:
    if backend == "jax":
        out.block_until_ready()
    elif backend == "torch-cuda":
        import torch

        torch.cuda.synchronize()
    elif backend == "cupy":
        import cupy

        cupy.cuda.Device().synchronize()


def prepare(bench: Bench, fn: Callable[..., Any]) -> Callable[..., Any]:
    if bench.backend == "jax":
        import jax

        return jax.jit(fn)
    return fn


def time_call(
    bench: Bench, fn: Callable[..., Any], inputs: tuple[Any, ...], budget: float = 0.4
) -> float:
    """Median seconds per call over batches filling ``budget`` seconds."""
    for _ in range(2):
        _sync(bench.backend, fn(*inputs))
    t0 = time.perf_counter()
    _sync(bench.backend, fn(*inputs))
    once = max(time.perf_counter() - t0, 1e-7)
    per_batch = max(1, int(budget / 5 / once))
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(per_batch):
            out = fn(*inputs)
        _sync(bench.backend, out)
        samples.append((time.perf_counter() - t0) / per_batch)
    return statistics.median(samples)


def peak_memory(bench: Bench, fn: Callable[..., Any], inputs: tuple[Any, ...]) -> float | None:
    """Peak extra bytes of one call (see the module docstring), or None if not measured."""
    if bench.backend == "numpy":
        tracemalloc.start()
        fn(*inputs)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return float(peak)
    if bench.backend == "jax":
        analysis = fn.lower(*inputs).compile().memory_analysis()
        return float(analysis.temp_size_in_bytes) if analysis is not None else None
    if bench.backend == "torch-cuda":
        import torch

        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        fn(*inputs)
        torch.cuda.synchronize()
        return float(torch.cuda.max_memory_allocated() - before)
    if bench.backend == "torch":
        return torch_cpu_peak(fn, inputs)
    return None


def torch_cpu_peak(fn: Callable[..., Any], inputs: tuple[Any, ...]) -> float:
    """Peak of the running sum of the profiler's per-op CPU allocations during one call."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn(*inputs)
    events = sorted(
        (e.time_range.start, e.self_cpu_memory_usage)
        for e in prof.events()
        if e.self_cpu_memory_usage
    )
    current = peak = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return float(peak)


def fmt_time(s: float) -> str:
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def fmt_mem(b: float | None) -> str:
    return "-" if b is None else f"{b / 2**20:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", action="append")
    parser.add_argument("--size", action="append", choices=["large", "tiny"])
    parser.add_argument("--filter", default="")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    sizes = args.size or ["large", "tiny"]
    benches = [
        b
        for b in load_benches()
        if args.filter in b.label and (not args.backend or b.backend in args.backend)
    ]
    ok = {name: backend_ok(name) for name in {b.backend for b in benches}}
    skipped = sorted(n for n, v in ok.items() if not v)
    header = [
        "loss",
        "backend",
        "size",
        "native",
        "anyloss",
        "native time",
        "ratio",
        "anyloss mem",
        "native mem",
    ]
    rows = []
    for bench in benches:
        if not ok[bench.backend]:
            continue
        for size in sizes:
            inputs = bench.setup(size)
            ours, native = prepare(bench, bench.ours), prepare(bench, bench.native)
            t_ours = time_call(bench, ours, inputs)
            t_native = time_call(bench, native, inputs)
            m_ours = peak_memory(bench, ours, inputs)
            m_native = peak_memory(bench, native, inputs)
            rows.append(
                [
                    bench.label,
                    bench.backend,
                    size,
                    bench.native_name,
                    fmt_time(t_ours),
                    fmt_time(t_native),
                    f"{t_ours / t_native:.2f}",
                    fmt_mem(m_ours),
                    fmt_mem(m_native),
                ]
            )
            print("  ".join(rows[-1]), file=sys.stderr, flush=True)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        for r in [header, *rows]:
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)))
    if skipped:
        print(f"\nnot run here (not installed or no GPU): {', '.join(skipped)}")


if __name__ == "__main__":
    main()
