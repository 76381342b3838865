"""Per-call overhead of anyloss above the native loss on tiny inputs (issue 8: <= 10 µs).

    python benchmarks/overhead.py [--filter TEXT] [--rounds R] [--calls K] [--backend B] [--grad]

For every loss with a native kernel on torch (``_delegation``) and a native counterpart
in ``natives.TORCH``, and every loss with a textbook formula in ``natives.NUMPY``: one
call of anyloss and one of the native loss on the registry example (``cross_entropy``:
32 x 10 logits), float32, forward only, no autograd graph (torch: ``torch.no_grad``;
``--grad``: forward and backward, the differentiable arguments requiring a gradient), one
thread. The two alternate in ``R`` rounds of ``K`` calls each (the side that goes first
alternates too); the overhead is the median over rounds of (anyloss - native) per call,
so a burst of load on a shared machine shifts both sides of a round alike. Time is the
thread's CPU time (``time.thread_time``; ``--clock wall`` for ``perf_counter``): on a
shared, loaded machine wall time also counts the waits for a core. Prints a markdown
table; nothing is written.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import pathlib  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import anyloss  # noqa: E402
from anyloss import _checker  # noqa: E402
from anyloss._delegation import delegated  # noqa: E402
from benchmarks.natives import NUMPY, TORCH  # noqa: E402

CE_SHAPE = (32, 10)


def tiny(name: str) -> tuple[list[Any], dict[str, Any]]:
    """The registry example in float32 (``cross_entropy``: 32 x 10 logits)."""
    rng = np.random.default_rng(0)
    if name in ("cross_entropy", "nll"):
        x = rng.standard_normal(CE_SHAPE).astype(np.float32)
        if name == "nll":
            x = x - np.log(np.exp(x).sum(-1, keepdims=True))
        return [x, rng.integers(0, CE_SHAPE[1], CE_SHAPE[0])], {}
    arrays, kwargs = _checker.example(name)(rng)

    def f32(a: Any) -> Any:
        return a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a

    return [f32(a) for a in arrays], {k: f32(v) for k, v in kwargs.items()}


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


def paired(
    ours: Callable[[], Any],
    theirs: Callable[[], Any],
    rounds: int,
    calls: int,
    clock: Callable[[], float] = time.thread_time,
) -> tuple[float, float, float]:
    """Medians per call of anyloss, the native loss and their per-round difference."""
    for f in (ours, theirs, ours, theirs):
        f()
    a: list[float] = []
    b: list[float] = []
    for r in range(rounds):
        order = ((a, ours), (b, theirs)) if r % 2 == 0 else ((b, theirs), (a, ours))
        for out, f in order:
            t0 = clock()
            for _ in range(calls):
                f()
            out.append((clock() - t0) / calls)
    diff = statistics.median(x - y for x, y in zip(a, b, strict=True))
    return statistics.median(a), statistics.median(b), diff


def cases(
    backend: str, text: str, grad: bool = False
) -> list[tuple[str, str, Callable[[], Any], Callable[[], Any]]]:
    """(loss, native's name, anyloss call, native call) for each measured loss; with
    ``grad`` (torch) the differentiable arguments require a gradient and each call is
    a forward and a backward pass."""
    out = []
    if backend == "torch":
        for name, (label, fn) in TORCH.items():
            if text not in name or not delegated(name, "torch"):
                continue
            args, kwargs = tiny(name)
            targs = [_tensor(a) for a in args]
            tkw = {k: _tensor(v) for k, v in kwargs.items()}
            if grad:
                targs = [
                    a.requires_grad_() if i in _checker.wrt(name) else a
                    for i, a in enumerate(targs)
                ]
            bind = _bind_backward if grad else _bind
            loss = getattr(anyloss, name)
            out.append((name, label, bind(loss, targs, tkw), bind(fn, targs, tkw)))
    else:
        for name, (label, fn) in NUMPY.items():
            if text in name:
                args, kwargs = tiny(name)
                loss = getattr(anyloss, name)
                out.append((name, label, _bind(loss, args, kwargs), _bind(fn, args, kwargs)))
    return out


def _tensor(a: Any) -> Any:
    import torch

    return torch.from_numpy(a) if isinstance(a, np.ndarray) else a


def _bind(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Callable[[], Any]:
    return lambda: fn(*args, **kwargs)


def _bind_backward(
    fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]
) -> Callable[[], Any]:
    return lambda: fn(*args, **kwargs).backward()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--filter", default="")
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--backend", action="append", choices=["torch", "numpy"])
    parser.add_argument("--clock", choices=list(CLOCKS), default="cpu")
    parser.add_argument("--grad", action="store_true", help="torch: forward and backward")
    opts = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    print(f"load average at the start: {os.getloadavg()[0]:.1f}; clock: {opts.clock}")
    print("| backend | loss | native | anyloss | native time | overhead |")
    print("|---|---|---|---|---|---|")
    for backend in opts.backend or ["torch", "numpy"]:
        for name, label, ours, theirs in cases(backend, opts.filter, opts.grad):
            with torch.set_grad_enabled(opts.grad):
                t_ours, t_theirs, diff = paired(
                    ours, theirs, opts.rounds, opts.calls, CLOCKS[opts.clock]
                )
            print(
                f"| {backend} | `{name}` | {label} | {t_ours * 1e6:.1f} µs | "
                f"{t_theirs * 1e6:.1f} µs | {diff * 1e6:+.1f} µs |",
                flush=True,
            )


if __name__ == "__main__":
    main()
