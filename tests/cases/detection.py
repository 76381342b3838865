"""Detection family: float64 NumPy references written from torchvision's box losses.

The references follow ``torchvision/ops/{giou,diou,ciou}_loss.py`` and
``_utils._loss_inter_union`` line by line (``eps`` where torchvision puts it; CIoU's IoU
and distance terms with torchvision's fixed 1e-7). The torchvision natives run where
torchvision is installed (it is not a test dependency: its wheels pin their own torch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from anyloss._compat import stop_gradient
from tests.cases import Case, Native, elementwise

# --- independent float64 references ---------------------------------------------------


def _inter_union(b1: Any, b2: Any) -> tuple[Any, Any]:
    x1, y1, x2, y2 = np.moveaxis(b1, -1, 0)
    gx1, gy1, gx2, gy2 = np.moveaxis(b2, -1, 0)
    iw = np.minimum(x2, gx2) - np.maximum(x1, gx1)
    ih = np.minimum(y2, gy2) - np.maximum(y1, gy1)
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    return inter, (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter


def _enclosing(b1: Any, b2: Any) -> tuple[Any, Any]:
    lo = np.minimum(b1[..., :2], b2[..., :2])
    hi = np.maximum(b1[..., 2:], b2[..., 2:])
    return hi[..., 0] - lo[..., 0], hi[..., 1] - lo[..., 1]


@elementwise
def ref_generalized_box_iou(b1: Any, b2: Any, eps: float = 1e-7) -> Any:
    inter, union = _inter_union(b1, b2)
    w, h = _enclosing(b1, b2)
    return 1 - (inter / (union + eps) - (w * h - union) / (w * h + eps))


def _diou(b1: Any, b2: Any, eps: float) -> tuple[Any, Any]:
    inter, union = _inter_union(b1, b2)
    iou = inter / (union + eps)
    w, h = _enclosing(b1, b2)
    centre1 = (b1[..., :2] + b1[..., 2:]) / 2
    centre2 = (b2[..., :2] + b2[..., 2:]) / 2
    rho2 = np.sum((centre1 - centre2) ** 2, axis=-1)
    return 1 - iou + rho2 / (w**2 + h**2 + eps), iou


@elementwise
def ref_distance_box_iou(b1: Any, b2: Any, eps: float = 1e-7) -> Any:
    return _diou(b1, b2, eps)[0]


def _angle(b: Any) -> Any:
    """atan(w / h); atan(±inf) = ±π/2 at h = 0; 0 for a point box (the catalog's choice)."""
    w, h = b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]
    point = (w == 0) & (h == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(point, 0.0, np.arctan(w / h))


@elementwise
def ref_complete_box_iou(b1: Any, b2: Any, eps: float = 1e-7) -> Any:
    diou, iou = _diou(b1, b2, 1e-7)  # torchvision does not pass eps on here
    v = 4 / np.pi**2 * (_angle(b2) - _angle(b1)) ** 2
    # α is constant for the gradient: marked so that the matrix's finite differences hold
    # it at the inputs (on NumPy stop_gradient is the identity)
    alpha = stop_gradient(v / (1 - iou + v + eps))
    return diou + alpha * v


# --- native references -------------------------------------------------------------------


def _torchvision(fname: str) -> Native:
    def fn(b1: Any, b2: Any, reduction: str = "mean", **kw: Any) -> Any:
        import torch
        import torchvision.ops

        return getattr(torchvision.ops, fname)(
            torch.from_numpy(np.array(b1)), torch.from_numpy(np.array(b2)), reduction, **kw
        )

    return Native(f"torchvision.ops.{fname}", fn, ("torch", "torchvision"))


GIOU = _torchvision("generalized_box_iou_loss")
DIOU = _torchvision("distance_box_iou_loss")
CIOU = _torchvision("complete_box_iou_loss")


# --- inputs --------------------------------------------------------------------------------


def _boxes(*lead: int, scale: float = 1.0) -> Any:
    def one(r: np.random.Generator) -> Any:
        top_left = r.uniform(0.0, 4.0, (*lead, 2))
        return scale * np.concatenate([top_left, top_left + r.uniform(0.5, 3.0, (*lead, 2))], -1)

    return lambda r: (one(r), one(r))


def _edges(r: np.random.Generator) -> tuple[Any, ...]:
    """Identical, disjoint, nested, touching, line (zero-area) and partly overlapping boxes."""
    pred = np.array(
        [
            [1.0, 1.0, 3.0, 4.0],  # identical
            [0.0, 0.0, 1.0, 1.0],  # disjoint
            [1.0, 1.0, 2.0, 2.0],  # inside the target
            [0.0, 0.0, 1.0, 1.0],  # touching along x = 1
            [1.0, 1.0, 3.0, 1.0],  # zero height
            [2.0, 0.0, 2.0, 3.0],  # zero width
            [0.5, 0.5, 2.5, 1.5],  # overlapping
        ]
    )
    target = np.array(
        [
            [1.0, 1.0, 3.0, 4.0],
            [2.0, 3.0, 4.0, 5.0],
            [0.0, 0.0, 4.0, 4.0],
            [1.0, 0.0, 2.0, 1.0],
            [0.0, 0.0, 2.0, 2.0],
            [1.0, 1.0, 3.0, 2.0],
            [1.0, 1.0, 2.0, 3.0],
        ]
    )
    return pred, target


def _point_boxes(r: np.random.Generator) -> tuple[Any, ...]:
    """Point boxes (zero width and height): torchvision's CIoU is NaN there."""
    pred = np.array([[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0], [0.0, 0.0, 2.0, 1.0]])
    target = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 3.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    return pred, target


def _cases(name: str, ref: Any, native: Native) -> list[Case]:
    return [
        Case(name, ref, native=(native,)),
        Case(name, ref, _boxes(2, 3), kwargs={"eps": 1e-3}, id="3d-eps", native=(native,)),
        Case(name, ref, _boxes(5, scale=300.0), id="large", half=False, native=(native,)),
        # identical, touching and nested boxes sit on kinks of min/max: no finite differences
        Case(name, ref, _edges, id="edges", grad=False, native=(native,)),
        Case(name, ref, _point_boxes, id="point-boxes", grad=False),
    ]


CASES: list[Case] = [
    *_cases("generalized_box_iou", ref_generalized_box_iou, GIOU),
    Case("generalized_box_iou", ref_generalized_box_iou, _boxes(), id="one-box", native=(GIOU,)),
    *_cases("distance_box_iou", ref_distance_box_iou, DIOU),
    *_cases("complete_box_iou", ref_complete_box_iou, CIOU),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    name: [{"eps": -1e-7}, {"eps": "1e-7"}, {"eps": None}]
    for name in ("generalized_box_iou", "distance_box_iou", "complete_box_iou")
}
