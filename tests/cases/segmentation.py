"""Segmentation family: references written out in float64 NumPy, natives from Keras/Optax.

* Overlap losses: the catalog formulas, literally (FP = Σp(1-t), FN = Σ(1-p)t).
* ``generalized_dice``: MONAI's ``GeneralizedDiceLoss.forward`` (w_type "square",
  smooth_nr = smooth_dr) transcribed to NumPy, channels-first, ``batch`` flag and all
  (MONAI itself is not installed here).
* Lovász: Berman's reference ``lovasz_losses.py`` (pytorch/), ported line by line to NumPy
  with its Python loops over images and classes and its ``lovasz_grad`` as written.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.cases import Case, Domain, Native, reduce_ref

# --- overlap references ------------------------------------------------------------------


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _counts(p: Any, t: Any, axis: Any) -> tuple[Any, Any, Any]:
    axis = _axis(axis)
    return (p * t).sum(axis=axis), (p * (1 - t)).sum(axis=axis), ((1 - p) * t).sum(axis=axis)


def _one_minus(num: Any, den: Any) -> Any:
    """``1 - num/den``; 0/0 (smooth=0 and nothing to compare) is a perfect score."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den == 0, 0.0, 1 - num / den)


def ref_dice(p: Any, t: Any, smooth: float = 1.0, axis: Any = None, reduction: str = "mean") -> Any:
    axis = _axis(axis)
    num = 2 * (p * t).sum(axis=axis) + smooth
    den = p.sum(axis=axis) + t.sum(axis=axis) + smooth
    return reduce_ref(_one_minus(num, den), reduction)


def ref_jaccard(
    p: Any, t: Any, smooth: float = 1.0, axis: Any = None, reduction: str = "mean"
) -> Any:
    axis = _axis(axis)
    inter = (p * t).sum(axis=axis)
    den = p.sum(axis=axis) + t.sum(axis=axis) - inter + smooth
    return reduce_ref(_one_minus(inter + smooth, den), reduction)


def _tversky_scores(p: Any, t: Any, alpha: float, beta: float, smooth: float, axis: Any) -> Any:
    tp, fp, fn = _counts(p, t, axis)
    return _one_minus(tp + smooth, tp + alpha * fp + beta * fn + smooth)


def ref_tversky(
    p: Any,
    t: Any,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = 1.0,
    axis: Any = None,
    reduction: str = "mean",
) -> Any:
    return reduce_ref(_tversky_scores(p, t, alpha, beta, smooth, axis), reduction)


def ref_focal_tversky(
    p: Any,
    t: Any,
    alpha: float = 0.3,
    beta: float = 0.7,
    gamma: float = 0.75,
    smooth: float = 1.0,
    axis: Any = None,
    reduction: str = "mean",
) -> Any:
    scores = _tversky_scores(p, t, alpha, beta, smooth, axis)
    with np.errstate(invalid="ignore"):
        return reduce_ref(scores**gamma, reduction)


def ref_dice_as_tversky(p: Any, t: Any, alpha: float, beta: float, **kw: Any) -> Any:
    """The catalog: ``tversky(alpha=0.5, beta=0.5, smooth=0)`` equals ``dice``."""
    assert alpha == beta == 0.5
    return ref_dice(p, t, **kw)


def ref_jaccard_as_tversky(p: Any, t: Any, alpha: float, beta: float, **kw: Any) -> Any:
    """``tversky(alpha=1, beta=1)`` is the soft Jaccard loss (TP + FP + FN = Σp + Σt - TP)."""
    assert alpha == beta == 1
    return ref_jaccard(p, t, **kw)


# --- generalized Dice: MONAI's forward in NumPy ---------------------------------------------


def monai_generalized_dice(
    inp: Any, target: Any, *, batch: bool, smooth_nr: float, smooth_dr: float
) -> Any:
    """``GeneralizedDiceLoss(w_type="square", reduction="none")`` on (N, C, spatial...).

    Returns ``f`` before MONAI's reshape for "none": shape (1, 1) for ``batch=True``,
    (N, 1) for ``batch=False``.
    """
    reduce_axis = list(range(2, inp.ndim))
    if batch:
        reduce_axis = [0, *reduce_axis]
    reduce_axis = tuple(reduce_axis)
    intersection = np.sum(target * inp, axis=reduce_axis)
    ground_o = np.sum(target, axis=reduce_axis)
    pred_o = np.sum(inp, axis=reduce_axis)
    denominator = ground_o + pred_o
    with np.errstate(divide="ignore"):
        w = np.reciprocal(ground_o * ground_o)
    infs = np.isinf(w)
    if batch:
        w[infs] = 0.0
        w = w + infs * np.max(w)
    else:
        w[infs] = 0.0
        max_values = np.max(w, axis=1)[:, None]
        w = w + infs * max_values
    final_reduce_dim = 0 if batch else 1
    numer = 2.0 * (intersection * w).sum(final_reduce_dim, keepdims=True) + smooth_nr
    denom = (denominator * w).sum(final_reduce_dim, keepdims=True) + smooth_dr
    with np.errstate(invalid="ignore"):
        return 1.0 - numer / denom


def ref_generalized_dice(
    p: Any,
    t: Any,
    class_axis: int = -1,
    axis: Any = None,
    smooth: float = 1e-5,
    reduction: str = "mean",
) -> Any:
    """anyloss's ``axis=None`` is MONAI ``batch=True``; the spatial axes, ``batch=False``."""
    p, t = np.moveaxis(p, class_axis, 1), np.moveaxis(t, class_axis, 1)
    f = monai_generalized_dice(p, t, batch=axis is None, smooth_nr=smooth, smooth_dr=smooth)
    f = f.reshape(()) if axis is None else f.reshape(-1)
    return reduce_ref(f, reduction)


# --- Lovász: Berman's reference, ported to NumPy ------------------------------------------


def lovasz_grad(gt_sorted: Any) -> Any:
    """Gradient of the Lovász extension w.r.t. sorted errors (Alg. 1 of the paper)."""
    p = len(gt_sorted)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.astype(np.float64).cumsum(0)
    union = gts + (1 - gt_sorted).astype(np.float64).cumsum(0)
    jaccard = 1.0 - intersection / union
    if p > 1:  # cover 1-pixel case
        jaccard[1:p] = jaccard[1:p] - jaccard[0:-1]
    return jaccard


def _sort_desc(errors: Any) -> Any:
    return np.argsort(-errors, kind="stable")


def lovasz_hinge_flat(logits: Any, labels: Any) -> float:
    if len(labels) == 0:
        return 0.0
    signs = 2.0 * labels - 1.0
    errors = 1.0 - logits * signs
    perm = _sort_desc(errors)
    errors_sorted = errors[perm]
    gt_sorted = labels[perm]
    grad = lovasz_grad(gt_sorted)
    return float(np.dot(np.maximum(errors_sorted, 0.0), grad))


def ref_lovasz_hinge(
    logits: Any, labels: Any, per_image: bool = False, reduction: str = "mean"
) -> Any:
    labels = np.asarray(labels, dtype=np.float64)
    if per_image:
        losses = [
            lovasz_hinge_flat(lg.reshape(-1), lb.reshape(-1))
            for lg, lb in zip(logits, labels, strict=True)
        ]
        return reduce_ref(np.array(losses), reduction)  # "mean": the reference's mean
    return np.asarray(lovasz_hinge_flat(logits.reshape(-1), labels.reshape(-1)))


def lovasz_softmax_flat(probas: Any, labels: Any, classes: str = "present") -> float:
    """``probas`` (P, C), ``labels`` (P,)."""
    losses = []
    for c in range(probas.shape[1]):
        fg = (labels == c).astype(np.float64)
        if classes == "present" and fg.sum() == 0:
            continue
        errors = np.abs(fg - probas[:, c])
        perm = _sort_desc(errors)
        losses.append(float(np.dot(errors[perm], lovasz_grad(fg[perm]))))
    return float(np.mean(losses)) if losses else 0.0  # the reference's mean(empty=0)


def ref_lovasz_softmax(probas: Any, labels: Any, axis: int = -1, reduction: str = "mean") -> Any:
    probas = np.moveaxis(probas, axis, -1)
    flat = probas.reshape(-1, probas.shape[-1])
    return np.asarray(lovasz_softmax_flat(flat, np.asarray(labels).reshape(-1)))


# --- native references -------------------------------------------------------------------


def _positive_axes(axis: Any, ndim: int) -> Any:
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axis)


# anyloss's defaults, and how each overlap loss maps onto optax's dice_loss(alpha, beta, smooth)
_OPTAX_AS = {
    # (2I + s) / (Σp + Σt + s) = (I + s/2) / (I + FP/2 + FN/2 + s/2): optax's smooth is
    # added to I, not to 2I, so it is half the textbook Dice's
    "dice": {"alpha": 0.5, "beta": 0.5, "smooth_scale": 0.5},
    "jaccard": {"alpha": 1.0, "beta": 1.0, "smooth_scale": 1.0},
    "tversky": {"alpha": 0.5, "beta": 0.5, "smooth_scale": 1.0},
    "focal_tversky": {"alpha": 0.3, "beta": 0.7, "smooth_scale": 1.0, "gamma": 0.75},
}


def _optax(loss: str) -> Native:
    """``optax.losses.dice_loss`` on one sigmoid channel (its FP/FN weights are ours).

    Probabilities go in as logits ``log p - log(1-p)`` (``apply_softmax=False`` would insist
    that the single channel sums to 1); ``axis`` gets the same sum axes. Optax adds
    ``smooth`` to TP in both numerator and denominator, so the textbook Dice's ``smooth``
    is twice optax's; ``focal_tversky`` raises optax's Tversky loss to ``gamma``.
    """
    spec = _OPTAX_AS[loss]

    def fn(p: Any, t: Any, reduction: str = "mean", **kw: Any) -> Any:
        import jax.numpy as jnp
        from optax.losses import dice_loss

        logits = np.log(p) - np.log1p(-p)
        out = dice_loss(
            jnp.asarray(logits[..., None]),
            jnp.asarray(t[..., None]),
            smooth=kw.get("smooth", 1.0) * spec["smooth_scale"],
            alpha=kw.get("alpha", spec["alpha"]),
            beta=kw.get("beta", spec["beta"]),
            apply_softmax=True,
            axis=_positive_axes(kw.get("axis"), p.ndim),
            reduction="mean",
        )
        out = np.asarray(out, dtype=np.float64)
        if "gamma" in spec:
            out = out ** kw.get("gamma", spec["gamma"])
        return reduce_ref(out, reduction)

    name = "optax.losses.dice_loss" + (" ** gamma" if "gamma" in spec else "")
    return Native(name, fn, ("optax", "jax"))


def _keras(cls: str) -> Native:
    """``keras.losses.Dice`` / ``Tversky`` with Keras's epsilon set to 0 during the call.

    Keras adds ``epsilon()`` (1e-7) to the denominator; with it at 0 Keras computes the
    catalog formula with ``smooth=0`` exactly. ``Tversky``'s ``alpha`` weighs FN in
    Keras's code, so ours are passed swapped.
    """

    def fn(p: Any, t: Any, reduction: str = "mean", **kw: Any) -> Any:
        from tests.cases._keras import KERAS_REDUCTION, keras

        k = keras()
        assert kw.get("smooth", 1.0) == 0, "Keras has no smooth term"
        extra = {}
        if cls == "Tversky":
            extra = {"alpha": kw.get("beta", 0.5), "beta": kw.get("alpha", 0.5)}
        old = k.config.epsilon()
        k.config.set_epsilon(0.0)
        try:
            loss = getattr(k.losses, cls)(
                axis=_axis(kw.get("axis")), reduction=KERAS_REDUCTION[reduction], **extra
            )
            return k.ops.convert_to_numpy(loss(t, p))
        finally:
            k.config.set_epsilon(old)

    return Native(f"keras.losses.{cls} (epsilon 0)", fn, ("keras", "jax"))


# --- inputs ------------------------------------------------------------------------------


def _masks(*shape: int, binary: bool = True) -> Any:
    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        p = rng.uniform(0.02, 0.98, shape)
        t = rng.integers(0, 2, shape).astype(np.float64) if binary else rng.uniform(0, 1, shape)
        return p, t

    return make


def _all_empty(rng: np.random.Generator) -> tuple[Any, ...]:
    return np.zeros((2, 3, 4)), np.zeros((2, 3, 4))


def _empty_target(rng: np.random.Generator) -> tuple[Any, ...]:
    return rng.uniform(0.05, 0.9, (2, 3, 4)), np.zeros((2, 3, 4))


def _perfect(rng: np.random.Generator) -> tuple[Any, ...]:
    t = rng.integers(0, 2, (2, 3, 4)).astype(np.float64)
    return t.copy(), t


def _one_hot(labels: Any, classes: int) -> Any:
    return np.eye(classes)[labels]


def _gdl_inputs(
    n: int,
    spatial: tuple[int, ...],
    classes: int,
    *,
    channels_first: bool = False,
    absent: tuple[int, ...] = (),
) -> Any:
    """Softmax-like probabilities and one-hot targets; classes in ``absent`` never appear."""

    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        allowed = [c for c in range(classes) if c not in absent]
        labels = rng.choice(allowed, (n, *spatial))
        p = rng.uniform(0.05, 1.0, (n, *spatial, classes))
        p = p / p.sum(-1, keepdims=True)
        t = _one_hot(labels, classes)
        if channels_first:
            p, t = np.moveaxis(p, -1, 1), np.moveaxis(t, -1, 1)
        return p, t

    return make


def _gdl_sample_missing_class(rng: np.random.Generator) -> tuple[Any, ...]:
    """Sample 0 lacks class 2, sample 1 has every class (per-sample max weights differ)."""
    p, t = _gdl_inputs(2, (6,), 3)(rng)
    labels = rng.integers(0, 2, 6)
    t[0] = _one_hot(labels, 3)
    return p, t


def _gdl_all_absent(rng: np.random.Generator) -> tuple[Any, ...]:
    p, _ = _gdl_inputs(2, (5,), 3)(rng)
    return p, np.zeros_like(p)


def _logits_masks(*shape: int, scale: float = 1.0) -> Any:
    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        return scale * rng.standard_normal(shape), rng.integers(0, 2, shape).astype(np.float64)

    return make


def _hinge_no_foreground_image(rng: np.random.Generator) -> tuple[Any, ...]:
    logits, labels = _logits_masks(3, 4, 5)(rng)
    labels[1] = 0.0
    return logits, labels


def _int_labels(rng: np.random.Generator) -> tuple[Any, ...]:
    logits, labels = _logits_masks(2, 4, 5)(rng)
    return logits, labels.astype(np.int64)


def _probas(*shape: int, classes: int, axis: int = -1, high: int | None = None) -> Any:
    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        p = rng.uniform(0.05, 1.0, (*shape, classes))
        p = np.moveaxis(p / p.sum(-1, keepdims=True), -1, axis)
        labels = rng.integers(0, classes if high is None else high, shape, dtype=np.int64)
        return p, labels

    return make


# --- cases -------------------------------------------------------------------------------

_SPATIAL = {"axis": (1, 2)}
_OPTAX_DICE = _optax("dice")
_OPTAX_JACCARD = _optax("jaccard")


def _overlap_edges(name: str, ref: Any, **kw: Any) -> list[Case]:
    return [
        Case(name, ref, _all_empty, kw, id="all-empty"),
        Case(name, ref, _all_empty, {**kw, **_SPATIAL}, id="all-empty-per-image"),
        Case(name, ref, _empty_target, kw, id="empty-target"),
        Case(name, ref, _perfect, kw, id="perfect"),
    ]


CASES: list[Case] = [
    # dice
    Case("dice", ref_dice, native=(_OPTAX_DICE,)),
    Case("dice", ref_dice, _masks(3, 4, 5), _SPATIAL, id="per-image", native=(_OPTAX_DICE,)),
    Case(
        "dice",
        ref_dice,
        _masks(2, 3, 4, 2),
        {"axis": (1, 2)},
        id="nhwc-per-channel",
        native=(_OPTAX_DICE,),
    ),
    Case("dice", ref_dice, _masks(2, 3, 4, 2), {"axis": (-3, -2, -4)}, id="negative-axes"),
    Case(
        "dice",
        ref_dice,
        _masks(3, 4, 5, binary=False),
        {"smooth": 0.0},
        id="smooth0",
        native=(_OPTAX_DICE, _keras("Dice")),
    ),
    Case(
        "dice",
        ref_dice,
        _masks(3, 4, 5),
        {"smooth": 0.0, "axis": (1, 2)},
        id="smooth0-per-image",
        native=(_OPTAX_DICE, _keras("Dice")),
    ),
    Case("dice", ref_dice, _masks(3, 4, 5), {"smooth": 0.0, "axis": ()}, id="elementwise"),
    Case(
        "dice",
        ref_dice,
        _masks(3, 4, 5),
        {"smooth": 0.5, "axis": 0},
        id="int-axis",
        native=(_OPTAX_DICE,),
    ),
    *_overlap_edges("dice", ref_dice),
    Case("dice", ref_dice, _all_empty, {"smooth": 0.0}, id="all-empty-smooth0", grad=False),
    # jaccard
    Case("jaccard", ref_jaccard, native=(_OPTAX_JACCARD,)),
    Case(
        "jaccard",
        ref_jaccard,
        _masks(3, 4, 5, binary=False),
        {"smooth": 0.0, **_SPATIAL},
        id="smooth0-per-image",
        native=(_OPTAX_JACCARD,),
    ),
    *_overlap_edges("jaccard", ref_jaccard),
    # tversky
    Case("tversky", ref_tversky, native=(_optax("tversky"),)),
    Case(
        "tversky",
        ref_tversky,
        _masks(3, 4, 5),
        {"alpha": 0.7, "beta": 0.2, **_SPATIAL},
        id="per-image",
        native=(_optax("tversky"),),
    ),
    Case(
        "tversky",
        ref_tversky,
        _masks(3, 4, 5, binary=False),
        {"alpha": 0.3, "beta": 0.7, "smooth": 0.0},
        id="smooth0",
        native=(_optax("tversky"), _keras("Tversky")),
    ),
    Case(
        "tversky",
        ref_dice_as_tversky,
        _masks(3, 4, 5, binary=False),
        {"alpha": 0.5, "beta": 0.5, "smooth": 0.0, **_SPATIAL},
        id="equals-dice",
        native=(_keras("Dice"), _keras("Tversky")),
    ),
    Case(
        "tversky",
        ref_jaccard_as_tversky,
        _masks(3, 4, 5),
        {"alpha": 1.0, "beta": 1.0, "smooth": 0.5},
        id="equals-jaccard",
    ),
    Case(
        "tversky",
        ref_tversky,
        _masks(3, 4, 5),
        {"alpha": 0.0, "beta": 0.0, "smooth": 0.0},
        id="alpha0-beta0",
    ),
    *_overlap_edges("tversky", ref_tversky, alpha=0.3, beta=0.7),
    # focal tversky
    Case("focal_tversky", ref_focal_tversky, native=(_optax("focal_tversky"),)),
    Case(
        "focal_tversky",
        ref_focal_tversky,
        _masks(3, 4, 5),
        {"alpha": 0.6, "beta": 0.4, "gamma": 2.0, **_SPATIAL},
        id="gamma2-per-image",
        native=(_optax("focal_tversky"),),
    ),
    Case(
        "focal_tversky",
        ref_focal_tversky,
        _masks(3, 4, 5, binary=False),
        {"gamma": 1.0, "smooth": 0.0},
        id="gamma1-smooth0",
        native=(_optax("focal_tversky"),),
    ),
    Case("focal_tversky", ref_focal_tversky, _empty_target, id="empty-target"),
    # a perfect score: only the value is promised (the gradient of x**0.75 at 0 is infinite)
    Case("focal_tversky", ref_focal_tversky, _all_empty, id="all-empty", grad=False),
    Case(
        "focal_tversky",
        ref_focal_tversky,
        _perfect,
        {"gamma": 1.5},
        id="perfect-gamma1.5",
        grad=False,
    ),
    # generalized dice
    Case("generalized_dice", ref_generalized_dice),
    Case(
        "generalized_dice",
        ref_generalized_dice,
        _gdl_inputs(3, (4, 5), 3),
        _SPATIAL,
        id="per-sample",
    ),
    Case(
        "generalized_dice",
        ref_generalized_dice,
        _gdl_inputs(2, (3, 4), 3, channels_first=True),
        {"class_axis": 1},
        id="channels-first",
    ),
    Case(
        "generalized_dice",
        ref_generalized_dice,
        _gdl_inputs(3, (3, 4), 4, channels_first=True),
        {"class_axis": 1, "axis": (2, 3)},
        id="channels-first-per-sample",
    ),
    Case(
        "generalized_dice",
        ref_generalized_dice,
        _gdl_inputs(2, (3, 4), 4, absent=(1,)),
        {"smooth": 0.0},
        id="absent-class",
    ),
    Case(
        "generalized_dice",
        ref_generalized_dice,
        _gdl_sample_missing_class,
        {"axis": 1},
        id="absent-class-per-sample",
    ),
    Case("generalized_dice", ref_generalized_dice, _gdl_all_absent, id="all-absent"),
    Case(
        "generalized_dice",
        ref_generalized_dice,
        _gdl_all_absent,
        {"axis": (1,)},
        id="all-absent-per-sample",
    ),
    # lovasz hinge
    Case("lovasz_hinge", ref_lovasz_hinge),
    Case(
        "lovasz_hinge",
        ref_lovasz_hinge,
        _logits_masks(3, 4, 5),
        {"per_image": True},
        id="per-image",
    ),
    Case(
        "lovasz_hinge",
        ref_lovasz_hinge,
        _hinge_no_foreground_image,
        {"per_image": True},
        id="image-without-foreground",
    ),
    Case(
        "lovasz_hinge",
        ref_lovasz_hinge,
        lambda r: (r.standard_normal((2, 3, 4)), np.zeros((2, 3, 4))),
        id="no-foreground",
    ),
    Case(
        "lovasz_hinge",
        ref_lovasz_hinge,
        lambda r: (r.standard_normal((2, 3, 4)), np.ones((2, 3, 4))),
        {"per_image": True},
        id="all-foreground",
    ),
    Case("lovasz_hinge", ref_lovasz_hinge, _int_labels, id="int-labels"),
    Case(
        "lovasz_hinge",
        ref_lovasz_hinge,
        _logits_masks(2, 3, 4, scale=1e4),
        id="large-logits",
        half=False,
    ),
    Case(
        "lovasz_hinge", ref_lovasz_hinge, _logits_masks(1, 1), {"per_image": True}, id="one-pixel"
    ),
    Case(
        "lovasz_hinge",
        ref_lovasz_hinge,
        lambda r: (np.zeros((3, 0, 4)), np.zeros((3, 0, 4))),
        {"per_image": True},
        id="empty-images",
        grad=False,
    ),
    Case(
        "lovasz_hinge",
        ref_lovasz_hinge,
        lambda r: (np.zeros((0, 4)), np.zeros((0, 4))),
        id="empty-batch",
        grad=False,
    ),
    # lovasz softmax
    Case("lovasz_softmax", ref_lovasz_softmax),
    Case(
        "lovasz_softmax",
        ref_lovasz_softmax,
        _probas(2, 3, 4, classes=4, axis=1),
        {"axis": 1},
        id="channels-first",
    ),
    Case(
        "lovasz_softmax",
        ref_lovasz_softmax,
        _probas(2, 3, 4, classes=5, high=3),
        id="absent-classes",
    ),
    Case(
        "lovasz_softmax",
        ref_lovasz_softmax,
        _probas(3, 4, classes=3, high=1),
        id="one-present-class",
    ),
    Case(
        "lovasz_softmax", ref_lovasz_softmax, _probas(0, 4, classes=3), id="empty-batch", grad=False
    ),
]

_OVERLAP_INVALID: list[dict[str, Any]] = [
    {"smooth": -1.0},
    {"axis": "spatial"},
    {"axis": (1, 1)},
    {"axis": 1.5},
    {"reduction": "avg"},
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "dice": _OVERLAP_INVALID,
    "jaccard": _OVERLAP_INVALID,
    "tversky": [*_OVERLAP_INVALID, {"alpha": -0.1}, {"beta": -1.0}],
    "focal_tversky": [
        *_OVERLAP_INVALID,
        {"alpha": -0.1},
        {"beta": -1.0},
        {"gamma": 0.0},
        {"gamma": -1.0},
    ],
    "generalized_dice": [
        {"smooth": -1e-5},
        {"axis": (0, 0)},
        {"class_axis": 1.0},
        {"class_axis": True},
    ],
    "lovasz_hinge": [{"per_image": "yes"}, {"per_image": 1}],
    "lovasz_softmax": [{"axis": 1.0}, {"axis": None}],
}


# arguments whose values are checked on eager arrays (tests/test_errors.py)
_SOFT_MASKS = [Domain(0, "pred"), Domain(1, "target")]
DOMAINS: dict[str, list[Domain]] = {
    "dice": _SOFT_MASKS,
    "jaccard": _SOFT_MASKS,
    "tversky": _SOFT_MASKS,
    "focal_tversky": _SOFT_MASKS,
    "generalized_dice": _SOFT_MASKS,
    "lovasz_softmax": [Domain(0, "pred")],
}
