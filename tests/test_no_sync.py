"""No host–device synchronisation: every loss runs on torch ``meta`` tensors, and on a
CUDA GPU under ``torch.cuda.set_sync_debug_mode("error")``.

A meta tensor has a shape and a dtype but no data: any read of its values (``bool()``,
``float()``, ``.item()``, a NumPy conversion) raises. Off the host, value checks are off
by default (``anyloss.value_checks``), so every registered loss must run there, forward
through both its paths and backward through its portable form, without reading one value:
on an accelerator the same call makes no synchronisation. On a machine with a CUDA GPU
the second test checks that directly: torch raises at any synchronising call (a
device-to-host copy, ``.item()``, ``nonzero``), forward and backward, both paths.
Registry-driven: a new loss is covered by being registered.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss import _checker
from anyloss._delegation import delegated

torch = pytest.importorskip("torch")


def _example_on(name: str, device: str) -> tuple[list[Any], dict[str, Any]]:
    arrays, kwargs = _checker.example(name)(np.random.default_rng(0))

    def moved(a: Any) -> Any:
        return torch.from_numpy(a).to(device) if isinstance(a, np.ndarray) else a

    return [moved(a) for a in arrays], {k: moved(v) for k, v in kwargs.items()}


def _differentiable(args: list[Any], kwargs: dict[str, Any], name: str) -> list[Any]:
    """The loss's ``wrt`` inputs, made leaves that require grad (in place in args/kwargs)."""
    leaves = []
    for key in _checker.wrt(name):
        holder: Any = args if isinstance(key, int) else kwargs
        leaf = holder[key].detach().requires_grad_(True)
        holder[key] = leaf
        leaves.append(leaf)
    return leaves


def _paths(name: str, native: bool = True) -> tuple[str, ...]:
    """The paths a torch call of loss ``name`` can take: its native kernel (where it has
    one and ``native``) and its portable body."""
    return ("native", "portable") if native and delegated(name, "torch") else ("portable",)


REDUCTIONS = ("mean", "sum", "none")


def _run(
    name: str, device: str, path: str, backward: bool, around: Any = contextlib.nullcontext
) -> tuple[list[Any], Any]:
    """Loss ``name`` on its example moved to ``device``, through ``path``, with every
    reduction; the outputs and (where ``backward``) the gradients of the last one's sum.
    The calls (not the inputs' making) run inside ``around()``."""
    args, kwargs = _example_on(name, device)
    leaves = _differentiable(args, kwargs, name)
    context = anyloss.portable() if path == "portable" else contextlib.nullcontext()
    with context, around():
        outs = [getattr(anyloss, name)(*args, reduction=r, **kwargs) for r in REDUCTIONS]
        grads = torch.autograd.grad(outs[-1].sum(), leaves, allow_unused=True) if backward else ()
    return outs, grads


@pytest.mark.parametrize("name", anyloss.available())
def test_runs_on_meta_tensors_without_reading_values(name: str) -> None:
    for path in _paths(name):
        # the native backward is torch's own kernel
        outs, grads = _run(name, "meta", path, backward=path == "portable")
        for out in outs:
            assert out.device.type == "meta", f"{name} {path}: result on {out.device}"
        assert all(g is None or g.device.type == "meta" for g in grads)


def test_checks_forced_on_do_read_meta_values() -> None:
    """The test above can fail: with value checks forced on, a label check reads data."""
    args, kwargs = _example_on("cross_entropy", "meta")
    with anyloss.value_checks(True), pytest.raises((RuntimeError, NotImplementedError)):
        anyloss.cross_entropy(*args, **kwargs)


SYNCS_IN_TORCH = {
    "ctc": "torch's CTC (at::ctc_loss) copies the length tensors to the host before its "
    "kernel, as F.ctc_loss does for every caller",
}
"""Delegated losses whose torch kernel itself synchronises: their native path is left out
of the CUDA check below (their portable path is checked)."""


@contextlib.contextmanager
def _sync_is_an_error() -> Any:
    torch.cuda.synchronize()  # what came before is not this call's
    old = torch.cuda.get_sync_debug_mode()
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode(old)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", anyloss.available())
def test_no_sync_on_cuda(name: str) -> None:
    for path in _paths(name, native=name not in SYNCS_IN_TORCH):
        outs, grads = _run(name, "cuda", path, backward=True, around=_sync_is_an_error)
        for out in outs:
            assert out.device.type == "cuda", f"{name} {path}: result on {out.device}"
        assert all(g is None or g.device.type == "cuda" for g in grads)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_sync_check_can_fail() -> None:
    """The test above can fail: with value checks forced on, a label check syncs."""
    args, kwargs = _example_on("cross_entropy", "cuda")
    with anyloss.value_checks(True), _sync_is_an_error(), pytest.raises(RuntimeError):
        anyloss.cross_entropy(*args, **kwargs)
