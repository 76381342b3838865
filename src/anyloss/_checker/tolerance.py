"""The one tolerance table (used by ``anyloss check`` and the test matrix).

A deviation is elementwise relative, with a floor at 1e-3 of the reference's largest
magnitude so that entries near zero are judged on the array's scale:
``max |a - b| / max(|b|, 1e-3 * max|b|)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["TOLERANCES", "Tolerance", "deviation"]


class Tolerance(NamedTuple):
    """Largest allowed deviation of a value and of a gradient."""

    value: float
    grad: float


TOLERANCES: dict[str, Tolerance] = {
    "float64": Tolerance(value=1e-9, grad=1e-9),
    "float32": Tolerance(value=5e-5, grad=2e-4),
    "float16": Tolerance(value=2e-2, grad=5e-2),
    "bfloat16": Tolerance(value=6e-2, grad=1.5e-1),
    # autograd (float64) against central finite differences of a float64 function
    "finite-difference": Tolerance(value=0.0, grad=2e-6),
}


def deviation(actual: Any, expected: Any) -> float:
    """Largest elementwise relative deviation of ``actual`` from ``expected`` (float64).

    Matching infinities and matching NaNs count as equal; a NaN or inf where the other
    array is finite counts as ``inf``.
    """
    a = np.asarray(actual, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    if same.all():
        return 0.0
    finite_b = np.isfinite(b)
    scale = np.max(np.abs(b[finite_b]), initial=0.0)
    floor = max(1e-3 * scale, np.finfo(np.float64).tiny)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(same, 0.0, np.abs(a - b) / np.maximum(np.abs(b), floor))
    err = np.where(np.isnan(err), np.inf, err)
    return float(np.max(err))
