"""``anyloss check``: every registered loss on every importable backend, in one table.

For each loss, its example inputs (``anyloss._checker.examples``) are run on each backend
in float32 and float64; the value (every reduction) is compared with the float64 NumPy result, and
where the backend has autograd (torch, jax) the gradient is compared with central
finite differences of the float64 NumPy loss (values the loss stops the gradient of,
such as ``complete_box_iou``'s α, held constant). The table shows the largest deviation
(``anyloss._checker.tolerance.deviation``) per loss and backend, under a legend that explains
the columns and prints the tolerances. The exit status is 1 if any deviation exceeds the
tolerance of its dtype, 2 if a backend named with ``--backend`` cannot be used (which
and why go to stderr). Without ``--backend``: numpy and every other backend installed
here (the CPU ones that are not are named under the table). A check that runs longer
than a few seconds reports its progress on stderr.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import example, wrt
from .harness import convert, finite_difference, frozen_stops, pick, weighted_objective

__all__ = ["main", "run"]

REDUCTIONS = ("mean", "sum", "none")
DTYPES = ("float32", "float64")


class _Row:
    """Largest value and gradient deviations of one loss on one backend."""

    def __init__(self) -> None:
        self.value = 0.0
        self.grad: float | None = None
        self.failed = False
        self.error = ""


def _check_one(name: str, backend: Any, ref: dict[str, Any]) -> _Row:
    from .._registry import spec
    from .tolerance import TOLERANCES, deviation

    s, row, diff = spec(name), _Row(), wrt(name)
    args, kwargs = ref["inputs"]
    for dtype in DTYPES:
        tol = TOLERANCES[dtype]
        b_args = tuple(convert(backend, a, dtype) for a in args)
        b_kwargs = {k: convert(backend, v, dtype) for k, v in kwargs.items()}

        def every_reduction(*a: Any, k: Any = b_kwargs) -> tuple[Any, ...]:
            return tuple(s.fn(*a, reduction=r, **k) for r in REDUCTIONS)

        outs = backend.compiled(every_reduction)(*b_args)  # jax: one jit, not op by op
        for reduction, out in zip(REDUCTIONS, outs, strict=True):
            dev = deviation(backend.to_numpy(out), ref[reduction])
            row.value = max(row.value, dev)
            row.failed |= not dev <= tol.value
        if backend.autograd:
            cot = backend.asarray(ref["cotangent"], dtype)
            objective = weighted_objective(s.fn, b_args, b_kwargs, diff, {"none": cot})
            _, grads = backend.value_and_grad(objective, pick(b_args, b_kwargs, diff))
            dev = max(deviation(g, r) for g, r in zip(grads, ref["grads"], strict=False))
            row.grad = max(row.grad or 0.0, dev)
            limit = max(tol.grad, TOLERANCES["finite-difference"].grad)
            row.failed |= not dev <= limit
    return row


def _reference(name: str) -> dict[str, Any]:
    """float64 NumPy values for every reduction and the finite-difference gradient."""
    from .._registry import spec

    s, diff = spec(name), wrt(name)
    args, kwargs = example(name)(np.random.default_rng(0))
    ref: dict[str, Any] = {"inputs": (args, kwargs)}
    for reduction in REDUCTIONS:
        ref[reduction] = np.asarray(s.fn(*args, reduction=reduction, **kwargs), dtype=np.float64)
    cot = np.random.default_rng(1).standard_normal(ref["none"].shape)
    ref["cotangent"] = cot

    objective = weighted_objective(s.fn, args, kwargs, diff, {"none": cot})
    diff_in = [np.asarray(d, dtype=np.float64) for d in pick(args, kwargs, diff)]
    with frozen_stops() as replay:  # stopped values held at the example, as autograd does
        objective(*diff_in)

        def held(*d: Any) -> float:
            with replay():
                return float(objective(*d))

        ref["grads"] = finite_difference(held, diff_in)
    return ref


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return "0" if x == 0 else f"{x:.0e}" if math.isfinite(x) else "inf"


def _backends(names: Sequence[str]) -> tuple[list[Any], dict[str, str]]:
    """The adapters of ``names`` that can run here, and why each other one cannot."""
    from .backends import make_backend

    found, missing = [], {}
    for n in names:
        try:
            found.append(make_backend(n))
        except ImportError as exc:
            missing[n] = f"{exc.__class__.__name__}: {exc}".split("\n")[0]
    return found, missing


def _legend(out: Any) -> None:
    from .tolerance import TOLERANCES

    tol = {d: TOLERANCES[d] for d in DTYPES}
    fd = TOLERANCES["finite-difference"].grad
    lines = [
        "Each cell: value / gradient, the largest deviation from float64 NumPy over",
        f"{' and '.join(DTYPES)} and the reductions {', '.join(REDUCTIONS)}.",
        "  value     the loss on that backend vs the float64 NumPy loss",
        "  gradient  autograd (torch, jax) vs central finite differences of the float64",
        "            NumPy loss, stopped values held; '-' where the backend has no autograd",
        "  deviation max |a - b| / max(|b|, 1e-3 max|b|); '!' marks one over tolerance",
        "Tolerances (the largest deviation allowed):",
        *(f"  {d:<9} value {t.value:.0e}  gradient {t.grad:.0e}" for d, t in tol.items()),
        f"  (a gradient may also deviate by the finite-difference error {fd:.0e})",
        "",
    ]
    print("\n".join(lines), file=out)


class _Progress:
    """``anyloss check: 12/48 losses, 7 s`` on stderr once a check has run ``after``
    seconds: rewritten in place on a terminal, a line every ``after`` seconds otherwise."""

    def __init__(self, total: int, after: float) -> None:
        self.total, self.after = total, after
        self.start = self.last = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.shown = False

    def update(self, done: int) -> None:
        now = time.monotonic()
        if now - self.start < self.after or (not self.tty and now - self.last < self.after):
            return
        self.last, self.shown = now, True
        text = f"anyloss check: {done}/{self.total} losses, {now - self.start:.0f} s"
        print(("\r" + text) if self.tty else text, end="" if self.tty else "\n", file=sys.stderr)
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown and self.tty:
            print(file=sys.stderr)


PROGRESS_AFTER = 3.0
"""Seconds after which ``anyloss check`` reports its progress on stderr."""


def _table_row(name: str, backends: Sequence[Any]) -> tuple[list[str], int]:
    """The cells of one loss's row (``value / gradient`` deviation per backend) and how
    many of them failed; a crash is a failure, shown in the table and on stderr."""
    ref = _reference(name)
    cells, failures = [], 0
    for b in backends:
        try:
            row = _check_one(name, b, ref)
            mark = "!" if row.failed else ""
            cells.append(f"{_fmt(row.value)} / {_fmt(row.grad)}{mark}")
            failures += row.failed
        except Exception as exc:
            cells.append(f"ERROR {type(exc).__name__}")
            print(f"  {name} on {b.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            failures += 1
    return cells, failures


def run(
    backend_names: Sequence[str],
    losses: Sequence[str],
    out: Any = None,
    *,
    optional: Sequence[str] = (),
    quiet_missing: Sequence[str] = (),
) -> int:
    """Print the table (on ``out``, default stdout); return the exit status.

    ``backend_names`` must all be usable: one that is not prints which and why on
    stderr and returns 2 (nothing is checked). ``optional`` backends are checked where
    found; the missing ones are named below the table, except ``quiet_missing`` ones
    (the GPU backends nobody asked for). Otherwise 1 if any deviation exceeds its
    tolerance, else 0.
    """
    out = sys.stdout if out is None else out
    backends, missing = _backends(backend_names)
    if missing:
        for name, why in missing.items():
            print(
                f"anyloss check: backend {name!r} was asked for but cannot be used: {why}",
                file=sys.stderr,
            )
        return 2
    extra, not_found = _backends(optional)
    backends += extra
    width = max(len(n) for n in losses) + 2
    cell = 17
    _legend(out)
    print("loss".ljust(width) + "".join(b.name.ljust(cell) for b in backends), file=out)
    failures = 0
    progress = _Progress(len(losses), PROGRESS_AFTER)
    for done, name in enumerate(losses, 1):
        cells, failed = _table_row(name, backends)
        failures += failed
        print(name.ljust(width) + "".join(c.ljust(cell) for c in cells), file=out)
        progress.update(done)
    progress.close()
    print(
        f"\n{len(losses)} losses x {len(backends)} backends "
        f"({', '.join(b.name for b in backends)}): "
        f"{'all within tolerance' if not failures else f'{failures} FAILED'}",
        file=out,
    )
    shown = {n: why for n, why in not_found.items() if n not in quiet_missing}
    if shown:
        print(
            "not checked (not installed here): "
            + "; ".join(f"{n} ({why})" for n, why in shown.items()),
            file=out,
        )
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    from .._registry import available
    from .backends import BACKENDS, CPU_BACKENDS, GPU_BACKENDS

    parser = argparse.ArgumentParser(prog="anyloss check", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backend",
        action="append",
        choices=list(BACKENDS),
        help="backend to check (repeatable; one that cannot be used is an error, exit 2); "
        "default: numpy and every other backend installed here",
    )
    parser.add_argument(
        "--loss",
        action="append",
        choices=list(available()),
        help="loss to check (repeatable); default: every one",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    losses = args.loss or list(available())
    if args.backend:
        return run(list(dict.fromkeys(args.backend)), losses)
    # by default: numpy (a core dependency), and every other backend that is installed
    others = [n for n in (*CPU_BACKENDS, *GPU_BACKENDS) if n != "numpy"]
    return run(["numpy"], losses, optional=others, quiet_missing=GPU_BACKENDS)
