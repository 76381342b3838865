"""softmax_dice, dice_ce and mcc: references in float64 NumPy, natives from MONAI.

* ``softmax_dice`` / ``dice_ce``: MONAI's ``DiceLoss.forward`` (softmax, to_onehot_y,
  include_background, ``batch=False``) and ``DiceCELoss`` transcribed to NumPy on
  channels-first arrays with a real one-hot target; the per-sample loss is the mean over
  the (sample, class) table, the catalog's "none". MONAI itself is the native reference
  (its "none" table averaged over classes; ``DiceCELoss`` under "mean", the one
  reduction where MONAI and the catalog agree: MONAI has no "none" there and its "sum"
  adds the table).
* ``mcc``: ``segmentation_models_pytorch.losses.MCCLoss.forward`` transcribed, with the
  ``axis`` of the overlap losses (``None``: everything pooled, SMP's form). SMP cannot be
  a test dependency (its torchvision pin); the transcription was compared with SMP 0.6.0
  once, off-line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.cases import Case, Domain, Native, reduce_ref, torch_tensor

# --- references ----------------------------------------------------------------------------


def _softmax(x: Any, axis: int) -> Any:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _channels_first(logits: Any, labels: Any, axis: int) -> tuple[Any, Any]:
    """Logits ``(N, C, ...)`` and labels ``(N, 1, ...)``, MONAI's layout."""
    return np.moveaxis(logits, axis, 1), np.asarray(labels)[:, None]


def monai_dice_table(
    logits: Any, labels: Any, *, axis: int, smooth: float, include_background: bool
) -> Any:
    """``DiceLoss(softmax=True, to_onehot_y=True, reduction="none")``: the (N, C') table."""
    x, y = _channels_first(logits, labels, axis)
    inp = _softmax(x, 1)
    target = np.moveaxis(np.eye(x.shape[1])[y[:, 0]], -1, 1)  # one_hot(y, C)
    if not include_background:
        inp, target = inp[:, 1:], target[:, 1:]
    reduce_axis = tuple(range(2, inp.ndim))
    tp = np.sum(inp * target, axis=reduce_axis)
    fp = np.sum(inp, axis=reduce_axis) - tp
    fn = np.sum(target, axis=reduce_axis) - tp
    numerator = 2 * tp + smooth
    denominator = 2 * (tp + 0.5 * fp + 0.5 * fn) + smooth
    with np.errstate(invalid="ignore"):
        return np.where(
            denominator == 0, 0.0, 1 - numerator / np.where(denominator, denominator, 1)
        )


def _dice_per_sample(logits: Any, labels: Any, axis: int, smooth: float, bg: bool) -> Any:
    table = monai_dice_table(logits, labels, axis=axis, smooth=smooth, include_background=bg)
    return table.mean(axis=1)


def ref_softmax_dice(
    logits: Any,
    labels: Any,
    axis: int = -1,
    smooth: float = 1e-5,
    include_background: bool = True,
    reduction: str = "mean",
) -> Any:
    return reduce_ref(_dice_per_sample(logits, labels, axis, smooth, include_background), reduction)


def _ce_per_sample(logits: Any, labels: Any, axis: int) -> Any:
    """The mean over each sample's pixels of ``-log softmax(x)_y``."""
    x, y = _channels_first(logits, labels, axis)
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    nll = -np.take_along_axis(log_p, y, axis=1)[:, 0]
    if nll.ndim == 1:
        return nll
    pixels = nll[0].size if len(nll) else 0
    return nll.reshape(len(nll), pixels).sum(axis=1) / max(pixels, 1)


def ref_dice_ce(
    logits: Any,
    labels: Any,
    axis: int = -1,
    smooth: float = 1e-5,
    include_background: bool = True,
    lambda_dice: float = 1.0,
    lambda_ce: float = 1.0,
    reduction: str = "mean",
) -> Any:
    dice = _dice_per_sample(logits, labels, axis, smooth, include_background)
    return reduce_ref(
        lambda_dice * dice + lambda_ce * _ce_per_sample(logits, labels, axis), reduction
    )


def ref_mcc(p: Any, t: Any, eps: float = 1e-5, axis: Any = None, reduction: str = "mean") -> Any:
    """SMP's ``MCCLoss.forward`` (its ``eps`` on each count), summed over ``axis``."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    tp = np.sum(p * t, axis=axis) + eps
    tn = np.sum((1 - p) * (1 - t), axis=axis) + eps
    fp = np.sum(p * (1 - t), axis=axis) + eps
    fn = np.sum((1 - p) * t, axis=axis) + eps
    numerator = tp * tn - fp * fn
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    with np.errstate(invalid="ignore", divide="ignore"):
        mcc = np.where(denominator == 0, 0.0, numerator / denominator)  # sklearn's 0/0
    scores = 1.0 - mcc
    if p.size == 0:  # every score is over nothing (or there are none): 0, as empty losses
        scores = np.zeros_like(scores)
    return reduce_ref(scores, reduction)


# --- native references: MONAI ------------------------------------------------------------


def _monai(cls: str, logits: Any, labels: Any, reduction: str, kw: dict[str, Any]) -> Any:
    """``monai.losses.<cls>(softmax=True, to_onehot_y=True, batch=False, ...)`` on the
    channels-first inputs, anyloss's keywords mapped onto MONAI's."""
    import monai.losses

    axis, smooth = kw.pop("axis", -1), kw.pop("smooth", 1e-5)
    loss = getattr(monai.losses, cls)(
        to_onehot_y=True,
        softmax=True,
        smooth_nr=smooth,
        smooth_dr=smooth,
        batch=False,
        reduction=reduction,
        **kw,
    )
    x, y = _channels_first(logits, labels, axis)
    return loss(torch_tensor(x), torch_tensor(y)).detach().numpy()


def _monai_dice(logits: Any, labels: Any, reduction: str = "mean", **kw: Any) -> Any:
    """MONAI's (N, C', 1, ...) "none" table, averaged over classes, then ``reduction``."""
    table = _monai("DiceLoss", logits, labels, "none", kw)
    return reduce_ref(table.reshape(table.shape[0], -1).mean(axis=1), reduction)


def _monai_dice_ce(logits: Any, labels: Any, reduction: str = "mean", **kw: Any) -> Any:
    return _monai("DiceCELoss", logits, labels, reduction, kw)


_MONAI_DICE = Native("monai.losses.DiceLoss (none, class mean)", _monai_dice, ("monai", "torch"))
_MONAI_DICE_CE = Native(
    "monai.losses.DiceCELoss", _monai_dice_ce, ("monai", "torch"), reductions=("mean",)
)

# --- inputs --------------------------------------------------------------------------------


def _logits_labels(
    n: int,
    spatial: tuple[int, ...],
    classes: int,
    *,
    axis: int = -1,
    scale: float = 2.0,
    absent: tuple[int, ...] = (),
) -> Any:
    """Logits and labels; classes in ``absent`` get no label and a logit of -1e4."""

    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        logits = scale * rng.standard_normal((n, *spatial, classes))
        allowed = [c for c in range(classes) if c not in absent]
        labels = rng.choice(allowed, (n, *spatial)).astype(np.int64)
        for c in absent:
            logits[..., c] = -1e4
        return np.moveaxis(logits, -1, axis), labels

    return make


def _saturated(rng: np.random.Generator) -> tuple[Any, ...]:
    """Logits of ±1e4, half of the pixels confidently right and half confidently wrong."""
    labels = rng.integers(0, 3, (2, 4, 4))
    guess = np.where(rng.uniform(size=labels.shape) < 0.5, labels, (labels + 1) % 3)
    logits = np.where(np.eye(3, dtype=bool)[guess], 1e4, -1e4)
    return logits, labels


def _masks(*shape: int, soft: bool = False) -> Any:
    def make(rng: np.random.Generator) -> tuple[Any, ...]:
        p = rng.uniform(0.02, 0.98, shape)
        t = rng.uniform(0, 1, shape) if soft else rng.integers(0, 2, shape).astype(np.float64)
        return p, t

    return make


def _mcc_constant(rng: np.random.Generator) -> tuple[Any, ...]:
    """An all-background mask predicted exactly: SMP's eps makes the loss about 1/2."""
    return np.zeros((2, 4, 4)), np.zeros((2, 4, 4))


# --- cases -----------------------------------------------------------------------------------

_CHANNELS_FIRST = _logits_labels(2, (4, 4), 3, axis=1)

CASES: list[Case] = [
    # softmax_dice
    Case("softmax_dice", ref_softmax_dice, native=(_MONAI_DICE,)),
    Case(
        "softmax_dice",
        ref_softmax_dice,
        _CHANNELS_FIRST,
        {"axis": 1, "include_background": False},
        id="channels-first-no-background",
        native=(_MONAI_DICE,),
    ),
    Case(
        "softmax_dice",
        ref_softmax_dice,
        _logits_labels(2, (4, 4), 3, absent=(2,)),
        {"smooth": 1.0},
        id="absent-class",
        native=(_MONAI_DICE,),
    ),
    Case(
        "softmax_dice",
        ref_softmax_dice,
        _logits_labels(2, (4, 4), 3, absent=(1,)),
        {"smooth": 0.0},
        id="absent-class-smooth0",
    ),
    Case("softmax_dice", ref_softmax_dice, _saturated, id="saturated", half=False),
    # dice_ce
    Case("dice_ce", ref_dice_ce, native=(_MONAI_DICE_CE,)),
    Case(
        "dice_ce",
        ref_dice_ce,
        _CHANNELS_FIRST,
        {"axis": 1, "include_background": False, "lambda_dice": 0.7, "lambda_ce": 0.3},
        id="channels-first-weighted",
        native=(_MONAI_DICE_CE,),
    ),
    Case(
        "dice_ce",
        ref_dice_ce,
        _logits_labels(2, (4, 4), 3, absent=(0,)),
        id="absent-class",
        native=(_MONAI_DICE_CE,),
    ),
    Case("dice_ce", ref_dice_ce, _saturated, id="saturated", half=False),
    # mcc
    Case("mcc", ref_mcc),
    Case("mcc", ref_mcc, _masks(2, 4, 4), {"axis": (1, 2)}, id="per-image"),
    Case("mcc", ref_mcc, _masks(2, 4, 4, soft=True), {"eps": 0.0}, id="soft-eps0"),
    # TP = eps: curvature of order 1/eps there, beyond finite differences (the value is
    # the point; torch's gradient was compared with SMP's off-line)
    Case("mcc", ref_mcc, _mcc_constant, id="all-background", grad=False),
    Case("mcc", ref_mcc, _mcc_constant, {"eps": 0.0}, id="all-background-eps0"),
]

_DICE_INVALID: list[dict[str, Any]] = [
    {"smooth": -1e-5},
    {"axis": 1.0},
    {"axis": None},
    {"include_background": 1},
    {"reduction": "avg"},
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "softmax_dice": _DICE_INVALID,
    "dice_ce": [*_DICE_INVALID, {"lambda_dice": -0.5}, {"lambda_ce": -1.0}],
    "mcc": [{"eps": -1e-5}, {"axis": "spatial"}, {"axis": (1, 1)}, {"reduction": "avg"}],
}


# arguments whose values are checked on eager arrays (tests/test_errors.py)
DOMAINS: dict[str, list[Domain]] = {
    "mcc": [Domain(0, "pred"), Domain(1, "target")],
}
