"""What a benchmark is: anyloss against the framework's native loss on one backend.

Each ``benchmarks/cases_<module>.py`` defines ``BENCHES: list[Bench]``; ``bench.py``
collects them, times both sides in one run and prints the ratios.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bench:
    """One comparison.

    ``setup(size)`` builds the inputs on ``backend`` (``"numpy"``, ``"torch"``, ``"jax"``,
    ``"torch-cuda"``, ``"cupy"``) for ``size`` in ``("large", "tiny")`` and returns a tuple;
    ``ours(*inputs)`` and ``native(*inputs)`` each compute the loss (reduction "mean").
    For jax, both sides are wrapped in ``jax.jit`` by the runner.
    """

    label: str
    backend: str
    setup: Callable[[str], tuple[Any, ...]]
    ours: Callable[..., Any]
    native: Callable[..., Any]
    native_name: str
