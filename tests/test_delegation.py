"""Native kernels (``anyloss._delegation``): they run where registered, step aside when told.

Their values and gradients are proved by the matrix (``tests/test_matrix.py`` runs every
case of a delegated loss through both paths against the float64 reference); this file
proves that the native path is the one taken by default, and the catalog's rules on it.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss import _checker, _delegation

torch = pytest.importorskip("torch")

KERNELS = sorted(name for name, backend in _delegation._KERNELS if backend == "torch")


def _example(name: str, dtype: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    arrays, kwargs = _checker.example(name)(np.random.default_rng(0))

    def convert(a: Any) -> Any:
        if not isinstance(a, np.ndarray):
            return a
        t = torch.from_numpy(a)
        return t.to(dtype) if t.is_floating_point() else t

    return tuple(convert(a) for a in arrays), {k: convert(v) for k, v in kwargs.items()}


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[bool]:
    """Record, for each call of ``name``'s torch kernel, whether it answered natively."""
    calls: list[bool] = []
    real = _delegation._KERNELS[(name, "torch")]

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        calls.append(out is not NotImplemented)
        return out

    monkeypatch.setitem(_delegation._KERNELS, (name, "torch"), spy)
    monkeypatch.setattr(_delegation, "_KERNEL_OF_TYPE", {})  # the cached lookups
    return calls


def test_some_losses_are_delegated() -> None:
    assert {"mse", "huber", "cross_entropy", "binary_cross_entropy_with_logits"} <= set(KERNELS)


@pytest.mark.parametrize("name", KERNELS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_default_example_runs_natively(
    name: str, dtype: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _spy(monkeypatch, name)
    args, kwargs = _example(name, getattr(torch, dtype))
    for reduction in ("mean", "sum", "none"):
        getattr(anyloss, name)(*args, reduction=reduction, **kwargs)
    assert calls == [True, True, True], f"{name}: native kernel declined ({calls})"


@pytest.mark.parametrize("name", KERNELS)
def test_portable_context_skips_the_kernel(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch, name)
    args, kwargs = _example(name, torch.float64)
    with anyloss.portable():
        getattr(anyloss, name)(*args, **kwargs)
    assert calls == []
    getattr(anyloss, name)(*args, **kwargs)
    assert calls == [True]


def test_environment_switch_forces_the_portable_path() -> None:
    code = (
        "import anyloss, torch; from anyloss._delegation import kernel; "
        "print(kernel('mse', (torch.ones(2), torch.ones(2))))"
    )
    env = {**os.environ, "ANYLOSS_NATIVE": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "None", out.stderr


def test_half_precision_reaches_the_kernel_in_float32_and_mixed_stays_portable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kernel declines half inputs; the call path widens them to float32 (the catalog
    computes half precision in float32), so the kernel answers in float32 and the result
    is narrowed back. Mixed float dtypes are not the kernel's semantics and stay portable."""
    calls = _spy(monkeypatch, "mse")
    half = torch.ones(3, dtype=torch.float16)
    assert anyloss.mse(half, half).dtype == torch.float16
    assert calls == [False, True]
    anyloss.mse(torch.ones(3), torch.ones(3, dtype=torch.float64))
    assert calls == [False, True, False]


def test_ignore_index_none_ignores_nothing() -> None:
    """torch's default ignore_index is -100; the catalog's None ignores nothing."""
    logits = torch.zeros(3, 4)
    with pytest.raises(ValueError, match="-100"):
        anyloss.cross_entropy(logits, torch.tensor([0, -100, 1]))


def test_all_ignored_mean_is_zero_with_zero_gradient() -> None:
    logits = torch.randn(3, 4, requires_grad=True)
    for fn in (anyloss.cross_entropy, lambda x, y, **k: anyloss.nll(x.log_softmax(-1), y, **k)):
        out = fn(logits, torch.full((3,), -1), ignore_index=-1)
        assert out.item() == 0.0
        (g,) = torch.autograd.grad(out, logits)
        assert torch.all(g == 0)


@pytest.mark.parametrize("name", ["cross_entropy", "nll"])
def test_unchecked_out_of_range_label_gives_nan_natively(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With value checks off, a bad label gives NaN for its sample (and the mean), the
    other samples their loss; the kernel answers (torch alone would raise)."""
    calls = _spy(monkeypatch, name)
    x = torch.randn(4, 3, dtype=torch.float64).log_softmax(-1)
    labels = torch.tensor([0, 5, 2, -7])
    with anyloss.value_checks(False):
        none = getattr(anyloss, name)(x, labels, reduction="none")
        mean = getattr(anyloss, name)(x, labels)
    with anyloss.portable(), anyloss.value_checks(False):
        expected = getattr(anyloss, name)(x, labels, reduction="none")
    assert calls == [True, True]
    assert torch.isnan(none[[1, 3]]).all()
    assert torch.isnan(mean)
    torch.testing.assert_close(none[[0, 2]], expected[[0, 2]], rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["margin_ranking", "hinge_embedding"])
@pytest.mark.parametrize(
    "shape",
    [(12,), (3, 4), (4, 3, 2), (2, 3, 2), (300,)],
    ids=["few", "few-2d", "few-transposed", "few-3d", "many"],
)
def test_targets_other_than_signs_are_refused(
    name: str, shape: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel's check of the ±1 targets (a few values matched as bytes, one
    ``aminmax`` of ``|t|`` for many) lets -1 and +1 through natively and declines NaN, 0,
    -0, 0.5, -1.5, 2 and inf, so the portable body raises the catalog's error naming the
    target and the first bad value. Non-contiguous targets ("few-transposed") are
    checked in their own order; a target that requires a gradient is checked too."""
    calls = _spy(monkeypatch, name)
    rng = np.random.default_rng(0)
    for dtype in (torch.float32, torch.float64):
        scores = [torch.from_numpy(rng.uniform(0.0, 2.0, shape)).to(dtype) for _ in range(2)]
        signs = torch.from_numpy(rng.choice([-1.0, 1.0], shape)).to(dtype)
        if len(shape) == 3 and shape[0] == 4:
            scores, signs = [s.transpose(0, 2) for s in scores], signs.transpose(0, 2)
        args = scores if name == "margin_ranking" else scores[:1]
        getattr(anyloss, name)(*args, signs)
        getattr(anyloss, name)(*args, signs.clone().requires_grad_())
        for bad in (math.nan, 0.0, -0.0, 0.5, -1.5, 2.0, math.inf):
            target = signs.clone()
            target[np.unravel_index(signs.numel() // 2 + 1, target.shape)] = bad
            message = rf"target values must be one of -1\.0, 1\.0; got {re.escape(str(bad))} at"
            with pytest.raises(ValueError, match=message):
                getattr(anyloss, name)(*args, target)
    assert calls == ([True, True] + [False] * 7) * 2


def _native_and_portable(name: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """Loss ``name`` with ``reduction="none"`` on the default path, then on the portable."""
    fn = getattr(anyloss, name)
    out = fn(*args, reduction="none", **kwargs)
    with anyloss.portable():
        return out, fn(*args, reduction="none", **kwargs)


def test_multilabel_margin_declines_what_torch_scores_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """torch's kernel skips a pair whose gap is NaN (a NaN score, or +inf against +inf)
    and raises for an entry outside [-1, C) past the first -1: the kernel declines both,
    so the portable body gives the catalog's NaN and ignores the entry. Finite scores and
    entries in range are served natively, also with more than two axes and int32 labels,
    equal to the portable path."""
    calls = _spy(monkeypatch, "multilabel_margin")
    rng = np.random.default_rng(0)
    s = torch.from_numpy(rng.normal(size=(4, 5)))
    t = torch.tensor([[0, 3, -1, 2, 1], [1, -1, 0, 0, 0], [4, 2, 1, -1, -1], [2, -1, -1, -1, -1]])

    def both(scores: Any, target: Any) -> tuple[Any, Any]:
        return _native_and_portable("multilabel_margin", scores, target)

    nan, inf = s.clone(), s.clone()
    nan[0, 4] = math.nan  # a class no target of row 0: its pairs' gaps are NaN
    inf[2, 4], inf[2, 0] = math.inf, math.inf  # a target and another class at +inf
    after = t.clone()
    after[3, 3] = 7  # past row 3's first -1
    for scores, target in ((nan, t), (inf, t), (s, after)):
        got, portable = both(scores, target)
        torch.testing.assert_close(got, portable, rtol=0, atol=0, equal_nan=True)
    assert calls == [False, False, False]
    assert torch.isnan(both(nan, t)[0][0])
    assert torch.isnan(both(inf, t)[0][2])
    for scores, target in ((s, t), (s.reshape(2, 2, 5), t.reshape(2, 2, 5).int())):
        got, portable = both(scores, target)
        torch.testing.assert_close(got, portable, rtol=1e-12, atol=0)
    assert calls[-2:] == [True, True]


def test_multi_margin_declines_non_finite_scores_weights_and_weight_gradients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """torch's kernel skips a hinge whose gap is NaN (a NaN score, +inf against +inf), and
    with a NaN or infinite class weight a sample without an active hinge is 0 there (the
    catalog's is NaN); a weight that wants a gradient torch refuses. The kernel declines
    each, and the portable body answers; finite inputs are served natively (also on
    (N, K, C) scores), equal to the portable path."""
    calls = _spy(monkeypatch, "multi_margin")
    rng = np.random.default_rng(0)
    s = torch.from_numpy(rng.normal(size=(4, 3)))
    y = torch.tensor([0, 2, 1, 1])
    w = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)

    def both(scores: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _native_and_portable("multi_margin", scores, y, **kwargs)

    nan, inf = s.clone(), s.clone()
    nan[0, 1] = math.nan
    inf[2, 1], inf[2, 0] = math.inf, math.inf  # the true class and another at +inf
    nan_weight, wide = w.clone(), s.clone()
    nan_weight[1] = math.nan
    wide[2] = torch.tensor([-5.0, 5.0, -5.0])  # class 1 (weight NaN) true, no hinge active
    for scores, kwargs in ((nan, {}), (inf, {}), (wide, {"weight": nan_weight})):
        got, portable = both(scores, **kwargs)
        torch.testing.assert_close(got, portable, rtol=0, atol=0, equal_nan=True)
        assert torch.isnan(got).any()
    wanting = w.clone().requires_grad_()
    got, _ = both(s, weight=wanting)
    assert torch.autograd.grad(got.sum(), wanting)[0].shape == (3,)
    assert calls == [False] * 4
    for scores, kwargs in ((s, {"weight": w, "p": 2}), (s.reshape(2, 2, 3), {})):
        labels = y.reshape(scores.shape[:-1])
        out, expected = _native_and_portable("multi_margin", scores, labels, **kwargs)
        torch.testing.assert_close(out, expected, rtol=1e-12, atol=0)
    assert calls[-2:] == [True, True]
