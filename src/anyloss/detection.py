"""Bounding-box regression losses: IoU with a penalty that keeps a gradient where boxes
do not overlap.

Boxes are ``(..., 4)`` arrays of corners ``(x1, y1, x2, y2)``, ``pred`` and ``target`` of
equal shape; ``"none"`` gives one value per box (shape ``(...)``). The formulas and the
places of ``eps`` are those of ``torchvision.ops`` (which takes them from fvcore and
detectron2); like torchvision, the corners are not checked (``x1 <= x2``), so predicted
boxes that turn inside out during training still give a loss.
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import stop_gradient
from ._namespace import Namespace, resolve_floats
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import at_least, fmt_shape

__all__ = ["complete_box_iou", "distance_box_iou", "generalized_box_iou"]

_TORCHVISION_EPS = 1e-7
"""The ``eps`` torchvision's ``complete_box_iou_loss`` uses for its IoU and distance terms
(it calls ``_diou_iou_loss`` without passing its own ``eps`` on)."""


# --- private helpers ---------------------------------------------------------------------


def _boxes(pred: Any, target: Any) -> tuple[Namespace, Any, Any]:
    """Resolve ``pred`` and ``target``: equal shapes ``(..., 4)``, in the float dtype."""
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    if p.ndim == 0 or p.shape[-1] != 4:
        raise ValueError(
            "pred and target must be boxes of shape (..., 4), corners (x1, y1, x2, y2); "
            f"got shape {fmt_shape(pred.shape)}"
        )
    return ns, p, t


def _corners(boxes: Any) -> tuple[Any, Any, Any, Any]:
    return boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]


def _iou_and_enclosure(p: Any, t: Any, eps: float, xp: Any) -> tuple[Any, Any, Any, Any]:
    """IoU ``inter / (union + eps)``, the union, and the width and height of the smallest
    box enclosing both (torchvision's ``_loss_inter_union``: no overlap, no intersection)."""
    x1, y1, x2, y2 = _corners(p)
    gx1, gy1, gx2, gy2 = _corners(t)
    ix1, iy1 = xp.maximum(x1, gx1), xp.maximum(y1, gy1)
    ix2, iy2 = xp.minimum(x2, gx2), xp.minimum(y2, gy2)
    overlaps = xp.logical_and(iy2 > iy1, ix2 > ix1)
    inter = xp.where(overlaps, (ix2 - ix1) * (iy2 - iy1), xp.zeros_like(ix1))
    union = (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter
    width = xp.maximum(x2, gx2) - xp.minimum(x1, gx1)
    height = xp.maximum(y2, gy2) - xp.minimum(y1, gy1)
    return inter / (union + eps), union, width, height


def _distance_iou(p: Any, t: Any, eps: float, xp: Any) -> tuple[Any, Any]:
    """``1 - IoU + ρ² / (c² + eps)`` per box (ρ: distance of the centres, c: diagonal of
    the enclosing box), and the IoU; torchvision's ``_diou_iou_loss``."""
    iou, _, width, height = _iou_and_enclosure(p, t, eps, xp)
    x1, y1, x2, y2 = _corners(p)
    gx1, gy1, gx2, gy2 = _corners(t)
    diagonal = width**2 + height**2 + eps
    centres = ((x2 + x1) / 2 - (gx1 + gx2) / 2) ** 2 + ((y2 + y1) / 2 - (gy1 + gy2) / 2) ** 2
    return 1 - iou + centres / diagonal, iou


def _aspect_angle(boxes: Any, xp: Any) -> Any:
    """``atan(w / h)`` of each box, torchvision's aspect term, with finite gradients.

    Written as ``atan2(s·w, s·h)`` with ``s`` the sign of ``h``, which equals ``atan(w/h)``
    for every ``h != 0`` and is its limit ``±π/2`` at ``h = 0`` with a finite gradient
    (``w / h`` there is ±inf and torch's gradient NaN). A point box (``w = h = 0``) has no
    aspect: its angle is 0 with a zero gradient (torchvision: NaN).
    """
    x1, y1, x2, y2 = _corners(boxes)
    w, h = x2 - x1, y2 - y1
    flip = h < 0
    point = xp.logical_and(w == 0, h == 0)
    one = xp.ones_like(w)
    sw = xp.where(point, one, xp.where(flip, -w, w))
    sh = xp.where(point, one, xp.where(flip, -h, h))
    return xp.where(point, xp.zeros_like(w), xp.atan2(sw, sh))


# --- losses --------------------------------------------------------------------------------


def _one_box(hyperparameters: Any, ndim: int) -> bool:
    """Coupling rule: a 1-D input is one box, its axis 0 the coordinates."""
    return ndim < 2


_RULES = {"eps": at_least(0.0)}


@loss(rules=_RULES, coupled=_one_box)
def generalized_box_iou(
    pred: Array, target: Array, *, eps: float = 1e-7, reduction: Reduction = "mean"
) -> Array:
    r"""Generalized IoU loss: IoU, less the share of the enclosing box the union misses.

    .. math:: \ell = 1 - \frac{|A\cap B|}{|A\cup B| + \epsilon}
              + \frac{|C| - |A\cup B|}{|C| + \epsilon}

    with ``C`` the smallest box enclosing the predicted box ``A`` and the target ``B``;
    it keeps a gradient for boxes that do not overlap (their IoU is 0). Matches
    ``torchvision.ops.generalized_box_iou_loss`` (whose default reduction is ``"none"``).

    Parameters
    ----------
    pred, target
        Boxes of equal shape ``(..., 4)``, corners ``(x1, y1, x2, y2)``; ``"none"`` gives
        shape ``(...)``.
    eps
        Added to both denominators, as torchvision does; must be >= 0.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per box).

    References
    ----------
    Rezatofighi, Tsoi, Gwak, Sadeghian, Reid & Savarese, "Generalized Intersection over
    Union: A Metric and A Loss for Bounding Box Regression", CVPR 2019.
    """
    ns, p, t = _boxes(pred, target)
    xp = ns.xp
    iou, union, width, height = _iou_and_enclosure(p, t, eps, xp)
    enclosure = width * height
    return reduce(1 - (iou - (enclosure - union) / (enclosure + eps)), reduction, xp)


@loss(rules=_RULES, coupled=_one_box)
def distance_box_iou(
    pred: Array, target: Array, *, eps: float = 1e-7, reduction: Reduction = "mean"
) -> Array:
    r"""Distance IoU loss: IoU plus the distance of the centres, relative to the enclosure.

    .. math:: \ell = 1 - \frac{|A\cap B|}{|A\cup B| + \epsilon}
              + \frac{\rho^2(a, b)}{c^2 + \epsilon}

    with :math:`\rho(a, b)` the distance between the centres of the boxes and ``c`` the
    diagonal of the smallest box enclosing both. Matches
    ``torchvision.ops.distance_box_iou_loss``.

    Parameters
    ----------
    pred, target
        Boxes of equal shape ``(..., 4)``, corners ``(x1, y1, x2, y2)``; ``"none"`` gives
        shape ``(...)``.
    eps
        Added to both denominators, as torchvision does; must be >= 0.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per box).

    References
    ----------
    Zheng, Wang, Liu, Li, Ye & Ren, "Distance-IoU Loss: Faster and Better Learning for
    Bounding Box Regression", AAAI 2020.
    """
    ns, p, t = _boxes(pred, target)
    loss_, _ = _distance_iou(p, t, eps, ns.xp)
    return reduce(loss_, reduction, ns.xp)


@loss(rules=_RULES, coupled=_one_box)
def complete_box_iou(
    pred: Array, target: Array, *, eps: float = 1e-7, reduction: Reduction = "mean"
) -> Array:
    r"""Complete IoU loss: distance IoU plus the mismatch of the aspect ratios.

    .. math:: \ell = \ell_\text{DIoU} + \alpha v,\qquad
              v = \frac{4}{\pi^2}\Big(\arctan\frac{w_b}{h_b} - \arctan\frac{w_a}{h_a}\Big)^2,
              \qquad \alpha = \frac{v}{1 - \mathrm{IoU} + v + \epsilon}

    with :math:`\alpha` held constant in the gradient (torchvision computes it under
    ``no_grad``). Matches ``torchvision.ops.complete_box_iou_loss``, including where
    ``eps`` goes: into :math:`\alpha` only, while the IoU and distance terms use
    torchvision's fixed ``1e-7`` (it does not pass its ``eps`` on to them). The
    arc tangent is evaluated as ``atan2``, so a box of zero height has a finite gradient
    (torchvision: NaN); a point box (zero width and height) has angle 0 (torchvision: NaN).

    Parameters
    ----------
    pred, target
        Boxes of equal shape ``(..., 4)``, corners ``(x1, y1, x2, y2)``; ``"none"`` gives
        shape ``(...)``.
    eps
        Added to the denominator of :math:`\alpha`; must be >= 0.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per box).

    References
    ----------
    Zheng, Wang, Liu, Li, Ye & Ren, "Distance-IoU Loss: Faster and Better Learning for
    Bounding Box Regression", AAAI 2020.
    Zheng, Wang, Ren, Ye, Liu, Hu & Zuo, "Enhancing Geometric Factors in Model Learning
    and Inference for Object Detection and Instance Segmentation", IEEE Transactions on
    Cybernetics, 2021.
    """
    ns, p, t = _boxes(pred, target)
    xp = ns.xp
    diou, iou = _distance_iou(p, t, _TORCHVISION_EPS, xp)
    v = (4 / math.pi**2) * (_aspect_angle(t, xp) - _aspect_angle(p, xp)) ** 2
    alpha = stop_gradient(v / (1 - iou + v + eps))
    return reduce(diou + alpha * v, reduction, xp)
