"""PyTorch modules for every anyloss loss. Needs torch; ``import anyloss`` never imports it.

Every registered loss has an ``nn.Module`` here, generated from the registry, named by
the rule in ``anyloss._frameworks`` (``cross_entropy`` -> ``CrossEntropyLoss``, ``mse``
-> ``MSELoss``, ``binary_cross_entropy`` -> ``BCELoss``; ``LOSS_MODULES`` maps each
loss name to its class)::

    criterion = anyloss.torch.CrossEntropyLoss(weight=class_weights, label_smoothing=0.1)
    criterion = criterion.to("cuda")          # the weights follow the module
    loss = criterion(logits, labels)          # == anyloss.cross_entropy(logits, labels, ...)

The constructor takes the loss's hyperparameters (``reduction`` included) and checks
them at once (``TypeError`` for an unknown or missing one, ``ValueError`` naming a bad
value). Tensor hyperparameters (class ``weight``, ``pos_weight``, robust ``alpha``...)
become buffers (an ``nn.Parameter`` stays a parameter), so ``.to(device)``,
``.to(dtype)`` and ``state_dict()`` carry them; NumPy arrays are turned into tensors
first; an ``nn.Module`` hyperparameter (a ``distance`` of
``TripletMarginWithDistanceLoss``) becomes a submodule. ``forward`` takes the loss's
arrays in the function's order. The modules pickle (a callable hyperparameter pickles by
reference: a module-level function does, a lambda does not) and run under
``torch.compile``.

``AdaptiveLossFunction`` holds a learnable shape ``alpha`` and scale per dimension and
returns :func:`anyloss.adaptive_robust`, like the reference code's
``robust_loss_pytorch.adaptive.AdaptiveLossFunction``.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar, cast

import numpy as np
import torch
from torch import nn

from . import robust as _robust  # noqa: F401  (registers adaptive_robust)
from ._compat import own_code
from ._frameworks import (
    array_arguments,
    bind,
    class_names,
    docstring,
    hyperparameter_signature,
    publish,
)
from ._registry import available, prevalidated, spec

# alpha and scale are in range by construction: call the loss without the per-call
# hyperparameter rules (which would read a one-element parameter back as a Python float)
_adaptive_robust = spec("adaptive_robust").fn

_SOFTPLUS_SHIFT = math.log(math.expm1(1.0))
"""softplus(0 + shift) = 1, so a zero latent scale maps to ``scale_init``."""


class LossModule(nn.Module):
    """Base of the generated loss modules: ``loss_name`` names the registered loss.

    Hyperparameters are validated once, here; ``forward`` then calls the loss without
    re-checking them (so a tensor hyperparameter is never read back to the host).
    """

    loss_name: ClassVar[str] = ""

    def __init__(self, **hyperparameters: Any) -> None:
        super().__init__()
        bound = bind(self.loss_name, hyperparameters)
        self.hyperparameters: dict[str, Any] = {}
        """The non-tensor hyperparameters (tensors are the module's buffers)."""
        self._tensor_names: tuple[str, ...] = ()
        for key, value in bound.items():
            if isinstance(value, np.ndarray):
                value = torch.from_numpy(np.array(value))
            if isinstance(value, nn.Parameter):
                self.register_parameter(key, value)
            elif isinstance(value, torch.Tensor):
                self.register_buffer(key, value)
            elif isinstance(value, nn.Module):  # a distance module: a submodule, as in torch
                self.add_module(key, value)
            else:
                self.hyperparameters[key] = value
                continue
            self._tensor_names += (key,)

    def forward(self, *arrays: torch.Tensor) -> torch.Tensor:
        """The loss of ``arrays`` (in the loss function's order)."""
        kwargs = dict(self.hyperparameters)
        for key in self._tensor_names:
            kwargs[key] = getattr(self, key)
        return cast(torch.Tensor, prevalidated(self.loss_name)(*arrays, **kwargs))

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())


def _module_class(cls_name: str, loss: str) -> type[LossModule]:
    """The generated ``LossModule`` subclass of ``loss``, with real signatures and docs."""
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    arrays = [
        inspect.Parameter(a, inspect.Parameter.POSITIONAL_ONLY, annotation="torch.Tensor")
        for a in array_arguments(loss)
    ]

    def __init__(self: LossModule, **hyperparameters: Any) -> None:
        LossModule.__init__(self, **hyperparameters)

    def forward(self: LossModule, *arrays: torch.Tensor) -> torch.Tensor:
        return LossModule.forward(self, *arrays)

    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [self_param, *hyperparameter_signature(loss)]
    )
    forward.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [self_param, *arrays], return_annotation="torch.Tensor"
    )
    forward.__doc__ = f"``anyloss.{loss}({', '.join(array_arguments(loss))}, **hyperparameters)``."
    for fn in (__init__, forward):
        fn.__qualname__ = f"{cls_name}.{fn.__name__}"
    own_code(forward, f"{cls_name}.forward")  # torch.compile(module) of many classes
    call = f"{cls_name}(**hyperparameters)({', '.join(array_arguments(loss))})"
    header = (
        f"torch module of :func:`anyloss.{loss}`: ``{call}`` is ``anyloss.{loss}("
        f"{', '.join(array_arguments(loss))}, **hyperparameters)``.\n\n"
        "The hyperparameters (``reduction`` included) are checked when the module is "
        "built; tensor hyperparameters become buffers, so ``.to(device)`` and "
        "``state_dict()`` carry them. The loss function's documentation follows."
    )
    namespace = {
        "__init__": __init__,
        "forward": forward,
        "loss_name": loss,
        "__doc__": docstring(loss, header),
        "__module__": __name__,
        "__qualname__": cls_name,
    }
    return cast(type[LossModule], type(cls_name, (LossModule,), namespace))


LOSS_MODULES: dict[str, type[LossModule]] = {
    loss: _module_class(cls_name, loss) for cls_name, loss in class_names(available()).items()
}
"""Loss name -> its generated module class."""

__all__ = publish(
    globals(), LOSS_MODULES.values(), "LOSS_MODULES", "AdaptiveLossFunction", "LossModule"
)


def __getattr__(name: str) -> type[LossModule]:
    """Only reached for a name that is not here (a type checker reads it as "every
    generated class is a ``type[LossModule]``", since the classes are made at import)."""
    raise AttributeError(f"module 'anyloss.torch' has no attribute {name!r}")


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
