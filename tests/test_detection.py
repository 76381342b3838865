"""Box losses at degenerate boxes: finite values and gradients where torchvision has NaN.

(The matrix checks values and gradients of the ``tests/cases/detection.py`` cases; its
finite differences hold ``complete_box_iou``'s α constant, as the loss does.)
"""

from __future__ import annotations

import numpy as np

import anyloss
from tests._backends import Backend


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
