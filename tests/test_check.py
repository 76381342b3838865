"""``anyloss check``: the table, the exit status, and that it catches a wrong loss."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

from anyloss import _check, _registry


def test_check_prints_table_and_passes_on_numpy() -> None:
    out = io.StringIO()
    status = _check.run(["numpy"], ["mse", "huber"], out=out)
    text = out.getvalue()
    assert status == 0, text
    assert "mse" in text
    assert "huber" in text
    assert "all within tolerance" in text


def test_check_fails_when_a_backend_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loss that is off by 1e-3 in float32 only must make the check exit 1."""
    spec = _registry.spec("mse")
    good = spec.fn

    def skewed(pred, target, *, reduction="mean"):  # type: ignore[no-untyped-def]
        out = good(pred, target, reduction=reduction)
        return out * 1.001 if out.dtype == np.float32 else out

    monkeypatch.setitem(
        _registry._REGISTRY, "mse", _registry.LossSpec("mse", spec.family, skewed, spec.example)
    )
    out = io.StringIO()
    assert _check.run(["numpy"], ["mse"], out=out) == 1
    assert "!" in out.getvalue()
    assert "FAILED" in out.getvalue()


def test_console_entry_point_runs() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "anyloss", "check", "--backend", "numpy", "--loss", "mae"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "mae" in res.stdout
    assert "not checked" not in res.stdout  # only numpy was asked for
