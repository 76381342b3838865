"""Metric-learning family: references written out from the papers' formulas, natives from
pytorch-metric-learning, Keras and torch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tests.cases import KERAS_TOLERANCE, KERAS_WHY, Case, Native, reduce_ref, torch_tensor

# --- independent float64 references ---------------------------------------------------


def _logsumexp(x: Any, axis: int) -> Any:
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def _margin_reference(target_logit: Any) -> Any:
    """Cross-entropy over ``scale * cosine`` with the target cosine replaced (classes last)."""

    def reference(
        cos: Any,
        y: Any,
        reduction: str = "mean",
        margin: float = 0.0,
        scale: float = 64.0,
        axis: int = -1,
    ) -> Any:
        c = np.moveaxis(cos, axis, -1)
        c_y = np.take_along_axis(c, y[..., None], axis=-1)[..., 0]
        logits = scale * c
        target = scale * target_logit(c_y, margin)
        np.put_along_axis(logits, y[..., None], target[..., None], axis=-1)
        return reduce_ref(_logsumexp(logits, -1) - target, reduction)

    return reference


# ArcFace through the angle itself: cos(arccos(c) + m), not the product formula
ref_arcface = _margin_reference(lambda c, m: np.cos(np.arccos(c) + m))
ref_cosface = _margin_reference(lambda c, m: c - m)


def _normalize(x: Any) -> Any:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def ref_supcon(e: Any, labels: Any, reduction: str = "mean", temperature: float = 0.1) -> Any:
    """Anchor by anchor: -mean over positives of log softmax over all others."""
    u = _normalize(e)
    s = u @ u.T / temperature
    n = e.shape[0]
    per_anchor, anchors = np.zeros(n), 0
    for i in range(n):
        others = [a for a in range(n) if a != i]
        positives = [p for p in others if labels[p] == labels[i]]
        if not positives:
            continue
        anchors += 1
        log_z = _logsumexp(s[i, others], 0)
        per_anchor[i] = -np.mean([s[i, p] - log_z for p in positives])
    if reduction == "mean":
        return np.asarray(per_anchor.sum() / anchors if anchors else 0.0)
    return reduce_ref(per_anchor, reduction)


def ref_circle(
    e: Any,
    labels: Any,
    reduction: str = "mean",
    gamma: float = 80.0,
    margin: float = 0.4,
    remove_diagonal: bool = True,
) -> Any:
    """Sun et al.'s unified form, sample by sample, with Keras's distance 1 - cos (>= 0)."""
    n = e.shape[0]
    d = np.maximum(1 - e @ e.T, 0.0)
    out = np.zeros(n)
    for i in range(n):
        pos = [j for j in range(n) if labels[j] == labels[i] and (j != i or not remove_diagonal)]
        neg = [j for j in range(n) if labels[j] != labels[i]]
        if not pos or not neg:
            continue
        s_p, s_n = 1 - d[i, pos], 1 - d[i, neg]  # similarities
        alpha_p = np.maximum(1 + margin - s_p, 0.0)  # optimum O_p = 1 + m
        alpha_n = np.maximum(s_n + margin, 0.0)  # optimum O_n = -m
        total = np.sum(np.exp(gamma * alpha_n * (s_n - margin))) * np.sum(
            np.exp(-gamma * alpha_p * (s_p - (1 - margin)))
        )
        out[i] = np.log1p(total)
    return reduce_ref(out, reduction)


def ref_clip_contrastive(
    image: Any, text: Any, reduction: str = "mean", temperature: Any = 0.07
) -> Any:
    logits = _normalize(image) @ _normalize(text).T / temperature
    diag = np.diagonal(logits)
    per_pair = (_logsumexp(logits, 1) - diag + _logsumexp(logits, 0) - diag) / 2
    return reduce_ref(per_pair, reduction)


# --- native references -------------------------------------------------------------------


def _pml_reducer(reduction: str) -> dict[str, Any]:
    from pytorch_metric_learning import reducers

    if reduction == "none":
        return {"reducer": reducers.DoNothingReducer()}
    return {"reducer": reducers.SumReducer()} if reduction == "sum" else {}


def _pml_output(out: Any) -> Any:
    return out["loss"]["losses"] if isinstance(out, dict) else out


def _pml_margin(cls: str, degrees: bool) -> Native:
    """PML's ``ArcFaceLoss``/``CosFaceLoss`` with its ``get_cosine`` (normalised embeddings
    times normalised W) replaced by the given cosines; default reducer: the mean."""

    def fn(cos: Any, y: Any, reduction: str = "mean", margin: float = 0.0, **kw: Any) -> Any:
        import torch
        from pytorch_metric_learning import losses

        n, c = cos.shape
        m = math.degrees(margin) if degrees else margin
        head = getattr(losses, cls)(c, 3, margin=m, **kw, **_pml_reducer(reduction))
        head.get_cosine = lambda _: torch_tensor(cos)
        return _pml_output(head(torch.zeros(n, 3, dtype=torch.float64), torch_tensor(y)))

    return Native(f"pytorch_metric_learning.losses.{cls}", fn, ("pytorch_metric_learning",))


def _pml_supcon() -> Native:
    def fn(e: Any, labels: Any, reduction: str = "mean", **kw: Any) -> Any:
        from pytorch_metric_learning import losses

        head = losses.SupConLoss(**kw, **_pml_reducer(reduction))
        return _pml_output(head(torch_tensor(e), torch_tensor(labels)))

    return Native("pytorch_metric_learning.losses.SupConLoss", fn, ("pytorch_metric_learning",))


def _keras_circle() -> Native:
    """``keras.losses.circle`` per sample; "mean" left out (Keras divides by the nonzero)."""

    def fn(e: Any, labels: Any, reduction: str = "mean", **kw: Any) -> Any:
        from tests.cases._keras import keras

        k = keras()
        out = np.asarray(k.losses.circle(labels, e, **kw))
        return out.sum() if reduction == "sum" else out

    return Native(
        "keras.losses.circle",
        fn,
        ("keras", "jax"),
        reductions=("sum", "none"),
        tolerance=KERAS_TOLERANCE,
        why=KERAS_WHY,
    )


def _torch_clip() -> Native:
    """open_clip's ``ClipLoss`` on one device, written out with ``F.cross_entropy``."""

    def fn(image: Any, text: Any, reduction: str = "mean", temperature: Any = 0.07) -> Any:
        import torch
        import torch.nn.functional as F

        a = F.normalize(torch_tensor(image), dim=1)
        b = F.normalize(torch_tensor(text), dim=1)
        logits = a @ b.T / float(temperature)
        pairs = torch.arange(logits.shape[0])
        both = F.cross_entropy(logits, pairs, reduction=reduction) + F.cross_entropy(
            logits.T, pairs, reduction=reduction
        )
        return both / 2

    return Native("torch.nn.functional.cross_entropy (open_clip.ClipLoss)", fn, ("torch",))


PML_ARCFACE = _pml_margin("ArcFaceLoss", degrees=True)
PML_COSFACE = _pml_margin("CosFaceLoss", degrees=False)
PML_SUPCON = _pml_supcon()
KERAS_CIRCLE = _keras_circle()
TORCH_CLIP = _torch_clip()


# --- inputs --------------------------------------------------------------------------------


def _cosines(n: int, c: int, low: float = -1.0, high: float = 1.0) -> Any:
    return lambda r: (r.uniform(low, high, (n, c)), r.integers(0, c, n))


def _saturated(r: np.random.Generator) -> tuple[Any, ...]:
    # target cosines at exactly +1 and -1 (theta = 0 and pi): the root's gradient is 0 there
    cos = r.uniform(-0.9, 0.9, (4, 3))
    y = np.array([0, 1, 2, 0])
    cos[0, 0], cos[1, 1] = 1.0, -1.0
    return cos, y


def _channels_first(r: np.random.Generator) -> tuple[Any, ...]:
    return r.uniform(-0.8, 0.9, (3, 4, 2)), r.integers(0, 4, (3, 2))


def _unit_rows(n: int, d: int, labels: list[int]) -> Any:
    return lambda r: (_normalize(r.standard_normal((n, d))), np.array(labels))


def _embeddings(n: int, d: int, labels: list[int]) -> Any:
    return lambda r: (r.standard_normal((n, d)), np.array(labels))


def _pairs(n: int, d: int) -> Any:
    return lambda r: (r.standard_normal((n, d)), r.standard_normal((n, d)))


_SUPCON_LABELS = [0, 0, 1, 1, 1, 2, 3]  # label 3 has no positive

# --- cases ---------------------------------------------------------------------------------

CASES: list[Case] = [
    # arcface: PML up to theta_y = pi - m (cosines >= -0.85 > -cos 0.5 = -0.878 there)
    Case("arcface", ref_arcface, kwargs={"margin": 0.5}, native=(PML_ARCFACE,)),
    Case(
        "arcface",
        ref_arcface,
        _cosines(6, 4, -0.8, 0.95),
        kwargs={"margin": 0.3, "scale": 64.0},
        id="scale64",
        native=(PML_ARCFACE,),
    ),
    # past theta = pi - m (no easy-margin fallback, PML switches there) and at cos = +-1
    Case("arcface", ref_arcface, _cosines(6, 4), kwargs={"margin": 0.5, "scale": 4.0}, id="wide"),
    Case(
        "arcface",
        ref_arcface,
        _saturated,
        kwargs={"margin": 0.5, "scale": 4.0},
        id="saturated",
        grad=False,  # the true derivative of sqrt(1 - c^2) is infinite at c = +-1
    ),
    Case(
        "arcface",
        ref_arcface,
        _channels_first,
        kwargs={"margin": 0.5, "scale": 4.0, "axis": 1},
        id="axis1",
    ),
    # cosface
    Case("cosface", ref_cosface, kwargs={"margin": 0.35}, native=(PML_COSFACE,)),
    Case(
        "cosface",
        ref_cosface,
        _channels_first,
        kwargs={"margin": 0.2, "scale": 4.0, "axis": 1},
        id="axis1",
    ),
    # supcon: PML's mean leaves out exact zeros, and it gives 0 for a batch of one label
    Case("supcon", ref_supcon, native=(PML_SUPCON,)),
    Case(
        "supcon",
        ref_supcon,
        _embeddings(7, 4, _SUPCON_LABELS),
        kwargs={"temperature": 0.1},
        id="lonely-anchor",
        native=(PML_SUPCON,),
    ),
    Case("supcon", ref_supcon, _embeddings(5, 4, [2] * 5), id="one-label"),
    # circle: Keras's own "none"/"sum" (its "mean" divides by the samples with a loss)
    Case("circle", ref_circle, native=(KERAS_CIRCLE,)),  # unit rows, as Keras expects
    Case(
        "circle",
        ref_circle,
        _unit_rows(6, 4, [0, 0, 1, 1, 2, 2]),
        kwargs={"gamma": 80.0, "margin": 0.25, "remove_diagonal": False},
        id="gamma80-diagonal",
        native=(KERAS_CIRCLE,),
    ),
    # clip_contrastive: the temperature is an array, so the matrix differentiates it too
    Case(
        "clip_contrastive",
        ref_clip_contrastive,
        _pairs(6, 4),
        kwargs={"temperature": np.array(0.5)},
        native=(TORCH_CLIP,),
    ),
    Case(
        "clip_contrastive",
        ref_clip_contrastive,
        _pairs(5, 4),
        kwargs={"temperature": np.array(0.07)},
        id="t0.07",
        native=(TORCH_CLIP,),
    ),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "arcface": [{"margin": -0.1}, {"margin": 4.0}, {"scale": 0.0}, {"axis": 1.0}],
    "cosface": [{"margin": -0.1}, {"scale": -1.0}, {"axis": "1"}],
    "supcon": [{"temperature": 0.0}, {"temperature": -1.0}],
    "circle": [{"gamma": 0.0}, {"margin": math.nan}, {"remove_diagonal": 1}],
    "clip_contrastive": [{"temperature": 0.0}, {"temperature": np.array([0.1, 0.2])}],
}
