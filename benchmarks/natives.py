"""What anyloss is compared with: each framework's own loss, or the textbook formula.

``TORCH[name]``, ``JAX[name]`` and ``NUMPY[name]`` take the loss's example arrays (as
``anyloss._checker.example(name)`` makes them, converted to the backend) and its keywords,
and return the "mean" loss. A loss missing from a table has no native counterpart there;
the benchmark reports anyloss alone for it (never a made-up comparison).

``MONAI[name]`` (torch tensors) is the implementation a torch user without a
``torch.nn.functional`` kernel would otherwise take, for losses whose MONAI class computes
the same value on the example (checked once, float64: dice, jaccard, tversky, softmax_dice,
dice_ce and sigmoid_focal within 1e-7, generalized_dice 4e-10, generalized_box_iou 5e-9;
mcc 6e-5, MONAI adding its eps to the ratio where SMP and the catalog add it to each
count; softmax_focal equal after MONAI's mean over the (N, C) table is multiplied by C).
Its modules are built once; the layout views MONAI needs (a channel axis, channels
first) are made inside the timed call (views, no copies). Optional: without monai the
benchmark says so and times those losses alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

Native = tuple[str, Callable[..., Any]]


def _f() -> Any:
    import torch.nn.functional

    return torch.nn.functional


def _optax() -> Any:
    import optax

    return optax.losses


def _jnp() -> Any:
    import jax.numpy

    return jax.numpy


TORCH: dict[str, Native] = {
    "mse": ("F.mse_loss", lambda p, t: _f().mse_loss(p, t)),
    "mae": ("F.l1_loss", lambda p, t: _f().l1_loss(p, t)),
    "huber": ("F.huber_loss", lambda p, t, delta=1.0: _f().huber_loss(p, t, delta=delta)),
    "smooth_l1": ("F.smooth_l1_loss", lambda p, t, beta=1.0: _f().smooth_l1_loss(p, t, beta=beta)),
    "poisson_nll": (
        "F.poisson_nll_loss",
        lambda p, t, log_input=True: _f().poisson_nll_loss(p, t, log_input=log_input),
    ),
    "gaussian_nll": ("F.gaussian_nll_loss", lambda p, t, v: _f().gaussian_nll_loss(p, t, v)),
    "binary_cross_entropy": (
        "F.binary_cross_entropy",
        lambda p, t: _f().binary_cross_entropy(p, t),
    ),
    "binary_cross_entropy_with_logits": (
        "F.binary_cross_entropy_with_logits",
        lambda p, t: _f().binary_cross_entropy_with_logits(p, t),
    ),
    "cross_entropy": ("F.cross_entropy", lambda x, y: _f().cross_entropy(x, y)),
    "nll": ("F.nll_loss", lambda x, y: _f().nll_loss(x, y)),
    "kl_div": (
        "F.kl_div(batchmean)",
        lambda p, t: _f().kl_div(p.log(), t, reduction="batchmean"),
    ),
    "multi_margin": ("F.multi_margin_loss", lambda s, y: _f().multi_margin_loss(s, y)),
    "soft_margin": ("F.soft_margin_loss", lambda s, t: _f().soft_margin_loss(s, t)),
    "multilabel_soft_margin": (
        "F.multilabel_soft_margin_loss",
        lambda s, t: _f().multilabel_soft_margin_loss(s, t),
    ),
    "multilabel_margin": (
        "F.multilabel_margin_loss",
        lambda s, t: _f().multilabel_margin_loss(s, t),
    ),
    "margin_ranking": (
        "F.margin_ranking_loss",
        lambda a, b, t: _f().margin_ranking_loss(a, b, t),
    ),
    "hinge_embedding": (
        "F.hinge_embedding_loss",
        lambda d, t, margin=1.0: _f().hinge_embedding_loss(d, t, margin=margin),
    ),
    "triplet_margin": (
        "F.triplet_margin_loss",
        lambda a, p, n, margin=1.0: _f().triplet_margin_loss(a, p, n, margin=margin),
    ),
    "cosine_embedding": (
        "F.cosine_embedding_loss",
        lambda a, b, t: _f().cosine_embedding_loss(a, b, t),
    ),
    "ctc": (
        "F.ctc_loss(log_softmax)",
        lambda x, t, il, tl: _f().ctc_loss(_f().log_softmax(x, -1).transpose(0, 1), t, il, tl),
    ),
}


@functools.cache
def _monai(cls: str, **kwargs: Any) -> Any:
    """``monai.losses.<cls>(**kwargs)``, built once per configuration."""
    import monai.losses

    return getattr(monai.losses, cls)(**kwargs)


def _first(x: Any) -> Any:
    """Channels first: ``(N, ..., C)`` as ``(N, C, ...)`` (a view)."""
    return x.movedim(-1, 1)


def _pooled(cls: str, smooth: float, **kwargs: Any) -> Callable[..., Any]:
    """A MONAI overlap loss on one channel, pooled over batch and space (``axis=None``)."""
    return lambda p, t, **k: _monai(
        cls, batch=True, smooth_nr=smooth, smooth_dr=smooth, **kwargs, **k
    )(p[:, None], t[:, None])


def _onehot(cls: str, **kwargs: Any) -> Callable[..., Any]:
    """A MONAI loss on logits and class indices (softmax, one-hot inside, per sample)."""
    return lambda x, y: _monai(cls, softmax=True, to_onehot_y=True, batch=False, **kwargs)(
        _first(x), y[:, None]
    )


def _monai_softmax_focal(x: Any, y: Any) -> Any:
    focal = _monai("FocalLoss", gamma=2.0, use_softmax=True, to_onehot_y=True)
    return focal(x, y[:, None]) * x.shape[1]  # MONAI's mean is over the (N, C) table


MONAI: dict[str, Native] = {
    "dice": ("monai DiceLoss(batch)", _pooled("DiceLoss", 1.0)),
    "jaccard": ("monai DiceLoss(jaccard, batch)", _pooled("DiceLoss", 2.0, jaccard=True)),
    "tversky": ("monai TverskyLoss(batch)", _pooled("TverskyLoss", 1.0)),
    "generalized_dice": (
        "monai GeneralizedDiceLoss",
        lambda p, t: _monai("GeneralizedDiceLoss", w_type="square", batch=True)(
            _first(p), _first(t)
        ),
    ),
    "softmax_dice": ("monai DiceLoss(softmax)", _onehot("DiceLoss")),
    "dice_ce": ("monai DiceCELoss", _onehot("DiceCELoss")),
    "sigmoid_focal": (
        "monai FocalLoss",
        lambda x, t: _monai("FocalLoss", alpha=0.25, gamma=2.0, use_softmax=False)(x, t),
    ),
    "softmax_focal": ("monai FocalLoss(use_softmax) * C", _monai_softmax_focal),
    "mcc": ("monai MCCLoss", lambda p, t: _monai("MCCLoss")(p[:, None], t[:, None])),
    "generalized_box_iou": ("monai BoxGIoULoss", lambda p, t: _monai("BoxGIoULoss")(p, t)),
}


def _optax_ce(x: Any, y: Any) -> Any:
    return _optax().softmax_cross_entropy_with_integer_labels(x, y).mean()


JAX: dict[str, Native] = {
    "mse": ("optax.squared_error", lambda p, t: _optax().squared_error(p, t).mean()),
    "huber": (
        "optax.huber_loss",
        lambda p, t, delta=1.0: _optax().huber_loss(p, t, delta=delta).mean(),
    ),
    "log_cosh": ("optax.log_cosh", lambda p, t: _optax().log_cosh(p, t).mean()),
    "binary_cross_entropy_with_logits": (
        "optax.sigmoid_binary_cross_entropy",
        lambda p, t: _optax().sigmoid_binary_cross_entropy(p, t).mean(),
    ),
    "sigmoid_focal": (
        "optax.sigmoid_focal_loss",
        lambda p, t: _optax().sigmoid_focal_loss(p, t, alpha=0.25, gamma=2.0).mean(),
    ),
    "cross_entropy": ("optax.softmax_cross_entropy_with_integer_labels", _optax_ce),
    "poly1_cross_entropy": (
        "optax.poly_loss_cross_entropy",
        lambda x, y: (
            _optax()
            .poly_loss_cross_entropy(x, _jnp().eye(x.shape[-1], dtype=x.dtype)[y], epsilon=2.0)
            .mean()
        ),
    ),
    "kl_div": (
        "optax.kl_divergence",
        lambda p, t: _optax().kl_divergence(_jnp().log(p), t).mean(),
    ),
    "sparsemax": (
        "optax.multiclass_sparsemax_loss",
        lambda x, y: _optax().multiclass_sparsemax_loss(x, y).mean(),
    ),
    "perceptron": ("optax.perceptron_loss", lambda s, t: _optax().perceptron_loss(s, t).mean()),
    "multiclass_perceptron": (
        "optax.multiclass_perceptron_loss",
        lambda s, y: _optax().multiclass_perceptron_loss(s, y).mean(),
    ),
    "ntxent": ("optax.ntxent", lambda e, y, temperature=0.07: _optax().ntxent(e, y, temperature)),
}


def _np_log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=-1, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _np_huber(p: np.ndarray, t: np.ndarray, delta: float = 1.0) -> Any:
    a = np.abs(p - t)
    return np.mean(np.where(a < delta, 0.5 * a * a, delta * (a - 0.5 * delta)))


NUMPY: dict[str, Native] = {
    "mse": ("np.mean((p - t)**2)", lambda p, t: np.mean((p - t) ** 2)),
    "mae": ("np.mean(|p - t|)", lambda p, t: np.mean(np.abs(p - t))),
    "huber": ("np.where formula", _np_huber),
    "log_cosh": (
        "np.logaddexp formula",
        lambda p, t: np.mean(np.logaddexp(p - t, t - p) - np.log(2)),
    ),
    "binary_cross_entropy_with_logits": (
        "np.logaddexp formula",
        lambda z, t: np.mean(np.logaddexp(0, z) - t * z),
    ),
    "cross_entropy": (
        "log_softmax + pick",
        lambda x, y: -np.mean(np.take_along_axis(_np_log_softmax(x), y[:, None], axis=-1)),
    ),
}
