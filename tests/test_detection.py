"""``complete_box_iou``'s gradient holds α constant (torchvision computes it under ``no_grad``).

The matrix checks gradients against finite differences of the value's reference, which
differentiate α too; here the finite differences are of the reference with α frozen at
the inputs (``tests/cases/detection.py``'s formulas), on every autograd backend, for
ordinary boxes and for degenerate ones (zero height, zero width, point boxes) where
torchvision's gradient is NaN and anyloss's must be finite.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss._check import finite_difference
from anyloss._tolerance import TOLERANCES, deviation
from tests._backends import Backend
from tests.cases.detection import _angle, _boxes, _diou, ref_complete_box_iou


def _frozen_alpha_objective(b1: Any, b2: Any, cot: Any, eps: float) -> Any:
    """Σ cot · (DIoU + α₀ v) with α₀ computed once, at ``(b1, b2)``."""
    _, iou0 = _diou(b1, b2, 1e-7)
    v0 = 4 / np.pi**2 * (_angle(b2) - _angle(b1)) ** 2
    alpha0 = v0 / (1 - iou0 + v0 + eps)

    def objective(p: Any, t: Any) -> float:
        diou, _ = _diou(p, t, 1e-7)
        v = 4 / np.pi**2 * (_angle(t) - _angle(p)) ** 2
        return float(np.sum(cot * (diou + alpha0 * v)))

    return objective


@pytest.mark.parametrize("eps", [1e-7, 1e-2])
@pytest.mark.parametrize("make", [_boxes(6), _boxes(2, 3)], ids=["2d", "3d"])
def test_complete_box_iou_gradient_holds_alpha_constant(
    grad_backend: Backend, make: Any, eps: float
) -> None:
    b1, b2 = make(np.random.default_rng(3))
    cot = np.random.default_rng(4).standard_normal(b1.shape[:-1])
    expected = finite_difference(_frozen_alpha_objective(b1, b2, cot, eps), [b1, b2])
    c = grad_backend.asarray(cot, "float64")

    def objective(p: Any, t: Any) -> Any:
        return (anyloss.complete_box_iou(p, t, eps=eps, reduction="none") * c).sum()

    inputs = [grad_backend.asarray(b, "float64") for b in (b1, b2)]
    value, grads = grad_backend.value_and_grad(objective, inputs)
    ref = np.sum(cot * ref_complete_box_iou(b1, b2, eps=eps, reduction="none"))
    assert deviation(grad_backend.to_numpy(value), ref) <= TOLERANCES["float64"].value
    for g, r in zip(grads, expected, strict=True):
        assert deviation(g, r) <= TOLERANCES["finite-difference"].grad, (g, r)


def test_degenerate_boxes_have_finite_gradients(grad_backend: Backend) -> None:
    """Point boxes, zero height, zero width, identical boxes: finite value and gradient
    (torchvision's CIoU gradient is NaN at zero height and at point boxes). Finite
    differences do not apply: atan(w/h) jumps at h = 0, the intersection has a kink."""
    pred = np.array(
        [[1, 1, 1, 1], [2, 2, 2, 2], [1, 1, 3, 2], [1, 1, 3, 1], [2, 0.5, 2, 3], [1, 1, 3, 1]]
    )
    target = np.array(
        [[1, 1, 1, 1], [0, 0, 3, 1], [1, 1, 3, 2], [0, 0, 2, 2.5], [1, 1, 3, 2], [0, 2, 2, 2]]
    )
    inputs = [grad_backend.asarray(b, "float64") for b in (pred, target)]
    for name in anyloss.available("detection"):
        fn = getattr(anyloss, name)
        value, grads = grad_backend.value_and_grad(lambda p, t, f=fn: f(p, t), inputs)
        assert np.isfinite(grad_backend.to_numpy(value)), name
        assert all(np.all(np.isfinite(g)) for g in grads), (name, grads)
