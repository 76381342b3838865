"""PyTorch modules around anyloss losses. Needs torch; ``import anyloss`` never imports it.

``anyloss.torch.AdaptiveLossFunction`` holds a learnable shape ``alpha`` and scale per
dimension and returns :func:`anyloss.adaptive_robust`, like the reference code's
``robust_loss_pytorch.adaptive.AdaptiveLossFunction``.
"""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from torch import nn

from . import robust as _robust  # noqa: F401  (registers adaptive_robust)
from ._registry import spec

__all__ = ["AdaptiveLossFunction"]

# alpha and scale are in range by construction: call the loss without the per-call
# hyperparameter rules (which would read a one-element parameter back as a Python float)
_adaptive_robust = spec("adaptive_robust").fn

_SOFTPLUS_SHIFT = math.log(math.expm1(1.0))
"""softplus(0 + shift) = 1, so a zero latent scale maps to ``scale_init``."""


class AdaptiveLossFunction(nn.Module):
    r"""Barron's adaptive robust loss with a learnable ``alpha`` and ``scale`` per dimension.

    ``alpha`` is an affine sigmoid of a latent parameter, in ``(alpha_lo, alpha_hi)``;
    ``scale`` an affine softplus of another, in ``(scale_lo, inf)`` (a zero latent gives
    ``scale_init``). ``alpha_lo == alpha_hi`` fixes alpha, ``scale_lo == scale_init`` fixes
    the scale (as buffers, not parameters). Both have shape ``(num_dims,)`` and broadcast
    against residuals of shape ``(..., num_dims)``.

    ``forward(residual)`` returns the per-element negative log-likelihood
    :math:`\rho(x, \alpha, c) + \log c + \log Z(\alpha)` (see
    :func:`anyloss.adaptive_robust`); minimise its mean or sum together with the
    model's parameters.

    Parameters
    ----------
    num_dims
        Size of the residual's last axis: one alpha and one scale per entry.
    alpha_lo, alpha_hi
        Range of alpha, ``0 <= alpha_lo <= alpha_hi <= 4``. The defaults keep alpha in
        (0, 2), between Cauchy and Gaussian, where the paper recommends learning it.
    alpha_init
        Initial alpha, in ``(alpha_lo, alpha_hi)``; default their midpoint.
    scale_lo
        Lower bound of the scale, > 0.
    scale_init
        Initial scale, ``>= scale_lo``.
    dtype, device
        Of the latent parameters (``.to(...)`` works too).

    References
    ----------
    Barron, "A General and Adaptive Robust Loss Function", CVPR 2019 (arXiv:1701.03077).
    """

    def __init__(
        self,
        num_dims: int,
        *,
        alpha_lo: float = 0.001,
        alpha_hi: float = 1.999,
        alpha_init: float | None = None,
        scale_lo: float = 1e-5,
        scale_init: float = 1.0,
        dtype: torch.dtype | None = None,
        device: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(num_dims, bool) or not isinstance(num_dims, int) or num_dims < 1:
            raise ValueError(f"num_dims must be a positive int; got {num_dims!r}")
        if not 0.0 <= alpha_lo <= alpha_hi <= 4.0:
            raise ValueError(
                "need 0 <= alpha_lo <= alpha_hi <= 4 (the range of "
                f"adaptive_robust); got alpha_lo={alpha_lo}, alpha_hi={alpha_hi}"
            )
        if not scale_lo > 0.0:
            raise ValueError(f"scale_lo must be > 0; got {scale_lo}")
        if not scale_init >= scale_lo:
            raise ValueError(f"scale_init={scale_init} must be >= scale_lo={scale_lo}")
        self.num_dims = num_dims
        self.alpha_lo, self.alpha_hi = float(alpha_lo), float(alpha_hi)
        self.scale_lo, self.scale_init = float(scale_lo), float(scale_init)
        factory = {"dtype": dtype or torch.get_default_dtype(), "device": device}
        if alpha_lo == alpha_hi:
            self.register_buffer("fixed_alpha", torch.full((num_dims,), alpha_lo, **factory))
            self.latent_alpha = None
        else:
            init = (alpha_lo + alpha_hi) / 2 if alpha_init is None else float(alpha_init)
            if not alpha_lo < init < alpha_hi:
                raise ValueError(
                    f"alpha_init={init} must lie in (alpha_lo, alpha_hi) = ({alpha_lo}, {alpha_hi})"
                )
            u = (init - alpha_lo) / (alpha_hi - alpha_lo)
            latent = math.log(u) - math.log1p(-u)  # the inverse of the affine sigmoid
            self.latent_alpha = nn.Parameter(torch.full((num_dims,), latent, **factory))
        if scale_lo == scale_init:
            self.register_buffer("fixed_scale", torch.full((num_dims,), scale_init, **factory))
            self.latent_scale = None
        else:
            self.latent_scale = nn.Parameter(torch.zeros((num_dims,), **factory))

    def alpha(self) -> torch.Tensor:
        """The current shape parameters, ``(num_dims,)``, in ``(alpha_lo, alpha_hi)``."""
        if self.latent_alpha is None:
            return cast(torch.Tensor, self.fixed_alpha)
        return self.alpha_lo + (self.alpha_hi - self.alpha_lo) * torch.sigmoid(self.latent_alpha)

    def scale(self) -> torch.Tensor:
        """The current scales, ``(num_dims,)``, in ``(scale_lo, inf)``."""
        if self.latent_scale is None:
            return cast(torch.Tensor, self.fixed_scale)
        soft = nn.functional.softplus(self.latent_scale + _SOFTPLUS_SHIFT)
        return self.scale_lo + (self.scale_init - self.scale_lo) * soft

    def forward(self, residual: torch.Tensor) -> torch.Tensor:
        """Per-element negative log-likelihood of ``residual`` (shape ``(..., num_dims)``)."""
        if residual.ndim < 1 or residual.shape[-1] != self.num_dims:
            raise ValueError(
                f"residual of shape {tuple(residual.shape)} must end in an axis "
                f"of size num_dims={self.num_dims}"
            )
        return _adaptive_robust(
            residual,
            torch.zeros_like(residual),
            alpha=self.alpha(),
            scale=self.scale(),
            reduction="none",
        )

    def extra_repr(self) -> str:
        return (
            f"num_dims={self.num_dims}, alpha in ({self.alpha_lo}, {self.alpha_hi}), "
            f"scale > {self.scale_lo}"
        )
