"""Agreement with the frameworks' own implementations, in float64, where they are installed.

Each ``Native`` in the cases names the modules it needs; where one is missing the test is
skipped with that reason (never reported as a pass).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

from anyloss._checker.tolerance import TOLERANCES, deviation
from tests._matrix import loss_fn
from tests.cases import Case, Native, all_cases

PAIRS = [(c, n) for c in all_cases() for n in c.native]


def _as_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


@pytest.mark.parametrize(("case", "native"), PAIRS, ids=[f"{c.name}-{n.name}" for c, n in PAIRS])
def test_matches_native(case: Case, native: Native) -> None:
    assert (native.tolerance is None) == (not native.why), "a tolerance override needs a reason"
    missing = [m for m in native.requires if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{native.name} needs {', '.join(missing)}, not installed here")
    arrays, kwargs = case.inputs()
    for reduction in native.reductions:
        if reduction not in case.reductions:
            continue
        ours = _as_numpy(loss_fn(case)(*arrays, reduction=reduction, **kwargs))
        theirs = _as_numpy(native.fn(*arrays, reduction=reduction, **kwargs))
        dev = deviation(ours, theirs)
        limit = TOLERANCES["float64"].value if native.tolerance is None else native.tolerance
        assert dev <= limit, (
            f"{case.name} [{reduction}] vs {native.name}: deviation {dev:.3g} > {limit:.1g} "
            f"{native.why}\n"
            f"ours   {ours.ravel()[:6]}\ntheirs {theirs.ravel()[:6]}"
        )
