"""``anyloss check``: the table, the exit status, and that it catches a wrong loss."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

from anyloss import _registry
from anyloss._checker import backends as _backends
from anyloss._checker import check as _check


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

    monkeypatch.setitem(_registry._REGISTRY, "mse", _registry.LossSpec("mse", spec.family, skewed))
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
    assert "1 losses x 1 backends (numpy)" in res.stdout


class _Absent:
    """A backend adapter whose library is not installed."""

    def __init__(self) -> None:
        raise ImportError("No module named 'imaginary'")


def test_backend_asked_for_but_missing_is_exit_2_saying_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(_backends.BACKENDS, "torch", _Absent)
    assert _check.main(["--backend", "numpy", "--backend", "torch", "--loss", "mae"]) == 2
    captured = capsys.readouterr()
    assert "'torch' was asked for but cannot be used" in captured.err
    assert "No module named 'imaginary'" in captured.err
    assert "within tolerance" not in captured.out  # nothing was checked


def test_default_run_shows_only_found_backends(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not asked for: a missing CPU backend is named under the table, a GPU one not at all."""
    monkeypatch.setattr(_backends, "CPU_BACKENDS", ("numpy", "strict"))
    for name in ("strict", "cupy", "torch-cuda"):
        monkeypatch.setitem(_backends.BACKENDS, name, _Absent)
    assert _check.main(["--loss", "mae"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("loss"))
    assert header.split() == ["loss", "numpy"]
    assert "not checked (not installed here): strict (ImportError" in out
    assert "cupy" not in out
    assert "torch-cuda" not in out


def test_table_explains_its_columns_and_tolerances() -> None:
    from anyloss._checker.tolerance import TOLERANCES

    out = io.StringIO()
    _check.run(["numpy"], ["mae"], out=out)
    text = out.getvalue()
    assert "'-' where the backend has no autograd" in text
    assert "'!' marks one over tolerance" in text
    for dtype in ("float32", "float64"):
        tol = TOLERANCES[dtype]
        assert f"{dtype}   value {tol.value:.0e}  gradient {tol.grad:.0e}" in text
    assert "1 losses x 1 backends (numpy): all within tolerance" in text


def test_progress_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_check, "PROGRESS_AFTER", 0.0)
    out = io.StringIO()
    assert _check.run(["numpy"], ["mse", "mae"], out=out) == 0
    err = capsys.readouterr().err
    assert "anyloss check: 2/2 losses" in err
    assert "2/2" not in out.getvalue()


def test_no_progress_on_a_short_check(capsys: pytest.CaptureFixture[str]) -> None:
    _check.run(["numpy"], ["mae"], out=io.StringIO())
    assert "losses," not in capsys.readouterr().err


def test_version_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    import anyloss
    from anyloss.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"anyloss {anyloss.__version__}"
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:] if line.strip()}
    for name in anyloss.available():
        assert rows[name][0] == _registry.spec(name).family
    assert rows["triplet_margin"][1:] == ["anchor,", "positive,", "negative"]
    assert f"{len(anyloss.available())} losses. Backends:" in out
    assert "installed here: numpy" in out
    assert main(["list", "--family", "robust"]) == 0
    assert "mse" not in capsys.readouterr().out
    assert main(["list", "--family", "nope"]) == 2
    assert "unknown family 'nope'" in capsys.readouterr().err


def test_get_suggests_close_names() -> None:
    import anyloss

    with pytest.raises(KeyError, match="did you mean 'cross_entropy'"):
        anyloss.get("crossentropy")
    with pytest.raises(KeyError, match="available: mse, mae"):
        anyloss.get("zzzz")


def test_one_backend_list_for_nox_tests_and_check() -> None:
    """``noxfile.BACKENDS`` (read as text: nox runs without anyloss installed), the
    checker's ``CPU_BACKENDS`` (``anyloss check``, the test matrix) and the libraries
    ``anyloss list`` names are the same backends."""
    import ast
    from pathlib import Path

    from anyloss.__main__ import ARRAY_LIBRARIES

    tree = ast.parse((Path(__file__).parents[1] / "noxfile.py").read_text())
    nox = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "BACKENDS"
    )
    assert isinstance(nox, ast.Dict)
    assert tuple(ast.literal_eval(k) for k in nox.keys if k is not None) == _backends.CPU_BACKENDS
    modules = {b.module.split(".")[0] for b in _backends.BACKENDS.values()}
    assert set(ARRAY_LIBRARIES.values()) == modules
