"""One small figure per registered loss: the loss and its gradient, drawn with anyloss itself.

The figure sweeps one element of the loss's first differentiable input (``pred[0, 0]``,
``logits[0, 3]``, ...: the element with the largest gradient at the registry's example, so
the curve is never flat for lack of influence) while every other input keeps the value of
the example, and plots the loss of the element (elementwise losses), of the sample
(per-sample losses) or of the whole batch (pooled losses) that holds it: the
``reduction="none"`` result picked at that index.
Values and gradients come from one torch autograd call per point (float64), or central
finite differences of the NumPy result where torch is not installed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from anyloss import _checker
from anyloss._registry import LossSpec

POINTS = 101


def sweep_range(x: np.ndarray) -> np.ndarray:
    """Values to sweep: inside (0, 1) for probabilities, >= 0 for distances, else ±4."""
    lo, hi = float(np.min(x)), float(np.max(x))
    if lo >= 0.0 and hi <= 1.0:
        return np.linspace(0.005, 0.995, POINTS)
    if lo >= 0.0:
        return np.linspace(0.0, max(4.0, 2.0 * hi), POINTS)
    return np.linspace(-4.0, 4.0, POINTS)


def _pick(out: Any, index: tuple[int, ...], swept_shape: tuple[int, ...]) -> Any:
    """The entry of a ``reduction="none"`` result that holds element ``index`` of the input."""
    if out.ndim == 0:
        return out
    if tuple(out.shape) == swept_shape:
        return out[index]
    if tuple(out.shape[:1]) == swept_shape[:1]:
        return out[(index[0],) + (0,) * (out.ndim - 1)]
    return out.sum()


class Sweep:
    """The registry example of one loss with one element of one input made variable."""

    def __init__(self, spec: LossSpec) -> None:
        self.spec = spec
        arrays, self.kwargs = _checker.example(spec.name)(np.random.default_rng(0))
        self.arrays = list(arrays)
        self.wrt = _checker.wrt(spec.name)[0]
        x = self.arrays[self.wrt] if isinstance(self.wrt, int) else self.kwargs[self.wrt]
        self.swept = np.asarray(x, dtype=np.float64)
        self.index: tuple[int, ...] = (0,) * self.swept.ndim
        self.grid = sweep_range(self.swept)

    @property
    def label(self) -> str:
        """``pred[0, 0]``: which element the x-axis is."""
        if isinstance(self.wrt, int):
            params = list(inspect.signature(self.spec.fn).parameters)
            name = params[self.wrt]
        else:
            name = self.wrt
        index = ", ".join(str(i) for i in self.index)
        return f"{name}[{index}]" if index else name

    def inputs(
        self, value: float | None, convert: Callable[[Any], Any]
    ) -> tuple[list[Any], dict[str, Any], Any]:
        """Arrays and keywords (converted) with the swept element set to ``value``."""
        x = self.swept.copy()
        if value is not None:
            x[self.index] = value
        leaf = convert(x)
        arrays = [convert(a) for a in self.arrays]
        kwargs = {k: convert(v) for k, v in self.kwargs.items()}
        if isinstance(self.wrt, int):
            arrays[self.wrt] = leaf
        else:
            kwargs[self.wrt] = leaf
        return arrays, kwargs, leaf

    def value(self, value: float, convert: Callable[[Any], Any]) -> Any:
        arrays, kwargs, leaf = self.inputs(value, convert)
        out = self.spec.fn(*arrays, **{**kwargs, "reduction": "none"})
        return _pick(out, self.index, self.swept.shape), leaf

    def aim(self, grad: np.ndarray) -> None:
        """Sweep the element where ``grad`` (of the summed loss) is largest in magnitude."""
        if grad.size and np.any(grad != 0):
            flat = int(np.argmax(np.abs(grad)))
            self.index = tuple(int(i) for i in np.unravel_index(flat, grad.shape))


def _torch_curve(sweep: Sweep) -> tuple[np.ndarray, np.ndarray]:
    import torch

    def convert(a: Any) -> Any:
        if isinstance(a, np.ndarray):
            t = torch.from_numpy(np.array(a))
            return t.requires_grad_(True) if t.is_floating_point() else t
        return a

    arrays, kwargs, leaf = sweep.inputs(None, convert)
    total = sweep.spec.fn(*arrays, **{**kwargs, "reduction": "sum"})
    (g,) = torch.autograd.grad(total, leaf, allow_unused=True)
    if g is not None:
        sweep.aim(g.numpy())
    values, grads = np.full(POINTS, np.nan), np.full(POINTS, np.nan)
    for i, v in enumerate(sweep.grid):
        try:
            out, leaf = sweep.value(float(v), convert)
            (g,) = torch.autograd.grad(out, leaf, allow_unused=True)
        except ValueError:  # a value check refused this point (outside the loss's domain)
            continue
        values[i] = float(out.detach())
        grads[i] = 0.0 if g is None else float(g[sweep.index])
    return values, grads


def _numpy_curve(sweep: Sweep) -> tuple[np.ndarray, np.ndarray]:
    """Without torch: aim and differentiate by central differences of the NumPy result."""
    h = 1e-6

    def total(x: np.ndarray) -> float:
        arrays, kwargs, _ = sweep.inputs(None, lambda a: a)
        if isinstance(sweep.wrt, int):
            arrays[sweep.wrt] = x
        else:
            kwargs[sweep.wrt] = x
        return float(sweep.spec.fn(*arrays, **{**kwargs, "reduction": "sum"}))

    grad = np.zeros_like(sweep.swept)
    for index in np.ndindex(sweep.swept.shape):
        up, down = sweep.swept.copy(), sweep.swept.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (total(up) - total(down)) / (2 * h)
    sweep.aim(grad)

    def at(v: float) -> float:
        try:
            return float(sweep.value(v, lambda a: a)[0])
        except ValueError:
            return np.nan

    values = np.array([at(float(v)) for v in sweep.grid])
    grads = np.array([(at(float(v) + h) - at(float(v) - h)) / (2 * h) for v in sweep.grid])
    return values, grads


def curve(sweep: Sweep) -> tuple[np.ndarray, np.ndarray, str]:
    """Loss and gradient over the sweep, and how the gradient was obtained."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return (*_numpy_curve(sweep), "finite differences")
    return (*_torch_curve(sweep), "torch autograd")


def draw(spec: LossSpec, out: Path) -> str:
    """Write the figure of ``spec`` to ``out``; return its caption."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = Sweep(spec)
    values, grads, how = curve(sweep)
    if not np.isfinite(values).any():
        raise RuntimeError(f"{spec.name}: no finite loss value along the sweep of {sweep.label}")
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(7.0, 2.4), constrained_layout=True)
    ax_loss.plot(sweep.grid, values, color="C0")
    ax_grad.plot(sweep.grid, grads, color="C1")
    ax_loss.set(xlabel=sweep.label, title="loss")
    ax_grad.set(xlabel=sweep.label, title=f"gradient ({how})")
    for ax in (ax_loss, ax_grad):
        ax.grid(alpha=0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return (
        f"``{spec.name}`` as ``{sweep.label}`` varies (the element with the largest gradient "
        f"at the registry's example; every other input keeps its example value). Left: the "
        f"loss of that element, sample or batch (``reduction='none'`` there); right: its "
        f"derivative by {how}."
    )
