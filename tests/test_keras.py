"""``anyloss.keras`` on Keras 3's jax and torch backends, and the swapped-arguments error.

Keras picks its backend once, at import, from ``KERAS_BACKEND``: each backend's checks
(``tests/keras_checks.py``) run in a fresh pytest process. They need Keras and that
backend installed (the nox ``consistency`` session has both); elsewhere they skip,
saying what is missing.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import anyloss

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.consistency
@pytest.mark.parametrize("keras_backend", ["jax", "torch"])
def test_keras_backend(keras_backend: str) -> None:
    missing = [m for m in ("keras", keras_backend) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(
            f"anyloss.keras on {keras_backend} needs {', '.join(missing)}, not installed here"
        )
    env = {**os.environ, "KERAS_BACKEND": keras_backend, "ANYLOSS_BACKENDS": "numpy"}
    pytest_args = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "tests/keras_checks.py"]
    res = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-3000:]
    assert " passed" in res.stdout
    assert "skipped" not in res.stdout, res.stdout[-3000:]


@pytest.mark.parametrize(
    "name", ["cross_entropy", "nll", "softmax_focal", "multi_margin", "lovasz_softmax", "ntxent"]
)
def test_keras_argument_order_is_called_swapped(name: str) -> None:
    """``loss(y_true, y_pred)`` with float class labels first: the error says so."""
    rng = np.random.default_rng(0)
    labels_as_float, logits = rng.integers(0, 4, 8).astype(np.float64), rng.standard_normal((8, 4))
    with pytest.raises((ValueError, TypeError), match="look swapped"):
        getattr(anyloss, name)(labels_as_float, logits)
