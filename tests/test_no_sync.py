"""No host–device synchronisation: every loss runs on torch ``meta`` tensors.

A meta tensor has a shape and a dtype but no data: any read of its values (``bool()``,
``float()``, ``.item()``, a NumPy conversion) raises. Off the host, value checks are off
by default (``anyloss.value_checks``), so every registered loss must run there, forward
through both its paths and backward through its portable form, without reading one value:
on an accelerator the same call makes no synchronisation. Registry-driven: a new loss is
covered by being registered.
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


def _meta_example(name: str) -> tuple[list[Any], dict[str, Any]]:
    arrays, kwargs = _checker.example(name)(np.random.default_rng(0))

    def meta(a: Any) -> Any:
        return torch.from_numpy(a).to("meta") if isinstance(a, np.ndarray) else a

    return [meta(a) for a in arrays], {k: meta(v) for k, v in kwargs.items()}


def _differentiable(args: list[Any], kwargs: dict[str, Any], name: str) -> list[Any]:
    """The loss's ``wrt`` inputs, made leaves that require grad (in place in args/kwargs)."""
    leaves = []
    for key in _checker.wrt(name):
        holder: Any = args if isinstance(key, int) else kwargs
        leaf = holder[key].detach().requires_grad_(True)
        holder[key] = leaf
        leaves.append(leaf)
    return leaves


@pytest.mark.parametrize("name", anyloss.available())
def test_runs_on_meta_tensors_without_reading_values(name: str) -> None:
    paths = ("native", "portable") if delegated(name, "torch") else ("portable",)
    for path in paths:
        args, kwargs = _meta_example(name)
        leaves = _differentiable(args, kwargs, name)
        context = anyloss.portable() if path == "portable" else contextlib.nullcontext()
        with context:
            for reduction in ("mean", "sum", "none"):
                out = getattr(anyloss, name)(*args, reduction=reduction, **kwargs)
                assert out.device.type == "meta", f"{name} {path}: result on {out.device}"
            if path == "portable":  # the native backward is torch's own kernel
                grads = torch.autograd.grad(out.sum(), leaves, allow_unused=True)
                assert all(g is None or g.device.type == "meta" for g in grads)


def test_checks_forced_on_do_read_meta_values() -> None:
    """The test above can fail: with value checks forced on, a label check reads data."""
    args, kwargs = _meta_example("cross_entropy")
    with anyloss.value_checks(True), pytest.raises((RuntimeError, NotImplementedError)):
        anyloss.cross_entropy(*args, **kwargs)
