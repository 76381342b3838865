"""The backends of the test matrix.

``ANYLOSS_BACKENDS`` (comma-separated: numpy, strict, torch, jax, dask, cupy,
torch-cuda) selects them. A backend that is named but cannot be imported (or has no
GPU) is an error, never a silent skip. Unset, every importable CPU backend runs, plus
the GPU ones when a GPU is present. The adapters themselves live in
``anyloss._checker.backends`` (shared with ``anyloss check``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

os.environ.setdefault("JAX_ENABLE_X64", "1")  # before jax makes any array
# several test processes share one GPU: jax must not grab 75% of it up front
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

from anyloss._checker.backends import (
    BACKENDS,
    CPU_BACKENDS,
    GPU_BACKENDS,
    Backend,
    make_backend,
)

__all__ = ["Backend", "missing_backends", "selected_backends"]


def _try(name: str) -> Backend | None:
    try:
        return make_backend(name)
    except ImportError:
        return None


def selected_backends() -> list[Backend]:
    """The backends this run covers (see the module docstring)."""
    requested = os.environ.get("ANYLOSS_BACKENDS", "").strip()
    if not requested:
        found = [_try(n) for n in CPU_BACKENDS + GPU_BACKENDS]
        return [b for b in found if b is not None]
    backends = []
    for name in (n.strip() for n in requested.split(",") if n.strip()):
        if name not in BACKENDS:
            raise ValueError(
                f"ANYLOSS_BACKENDS names unknown backend {name!r}; known: {', '.join(BACKENDS)}"
            )
        try:
            backends.append(make_backend(name))
        except ImportError as exc:
            raise RuntimeError(f"backend {name!r} was asked for but cannot be used: {exc}") from exc
    return backends


def missing_backends(selected: Sequence[Backend]) -> list[str]:
    have = {b.name for b in selected}
    return [n for n in CPU_BACKENDS if n not in have]
