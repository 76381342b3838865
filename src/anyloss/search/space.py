"""Search spaces: a loss family, its identity parameters, and one sampled member.

A :class:`Family` names a parametric loss (one of :mod:`anyloss.search.families`) and
the shapes and identity values of its parameters; the controller works on the flat
vector of all of them. A :class:`SampledLoss` is one member, with NumPy parameters that
it hands to the loss in the logits' own library, dtype and device on every call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._namespace import resolve
from .families import am_lfs_cross_entropy, search_softmax_cross_entropy

__all__ = ["FAMILIES", "Family", "SampledLoss", "am_lfs", "family", "search_softmax"]


@dataclass(frozen=True)
class Family:
    """A parametric loss ``fn(logits, target, **params)`` and its identity parameters.

    ``identity`` maps each parameter name to its identity value (a float64 NumPy array
    whose shape is the parameter's); the controller starts there.
    """

    name: str
    fn: Callable[..., Any]
    identity: Mapping[str, np.ndarray]

    @property
    def size(self) -> int:
        """The number of searched scalars, D."""
        return sum(v.size for v in self.identity.values())

    @property
    def labels(self) -> list[str]:
        """A name per scalar: ``slopes[0]``, ..., ``a``."""
        return [
            f"{k}[{i}]" if v.ndim else k for k, v in self.identity.items() for i in range(v.size)
        ]

    def flatten(self, params: Mapping[str, Any]) -> np.ndarray:
        """The parameters as one float64 vector of length D (in ``identity``'s order)."""
        return np.concatenate(
            [np.asarray(params[k], np.float64).reshape(-1) for k in self.identity]
        )

    def unflatten(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """A length-D vector back to named parameters with their shapes (copies)."""
        out, start = {}, 0
        for k, v in self.identity.items():
            out[k] = np.array(theta[start : start + v.size]).reshape(v.shape)
            start += v.size
        return out


def am_lfs(bins: int = 6) -> Family:
    """AM-LFS's piecewise-linear family over ``bins`` equal bins (2 × bins scalars)."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be an int >= 1; got {bins!r}")
    return Family(
        "am_lfs", am_lfs_cross_entropy, {"slopes": np.ones(bins), "intercepts": np.zeros(bins)}
    )


def search_softmax() -> Family:
    """Search-Softmax's one-parameter family ``p / (a p + 1 - a)``."""
    return Family("search_softmax", search_softmax_cross_entropy, {"a": np.zeros(())})


FAMILIES: dict[str, Callable[[], Family]] = {"am_lfs": am_lfs, "search_softmax": search_softmax}


def family(spec: str | Family) -> Family:
    """A family by name (``"am_lfs"`` with 6 bins, ``"search_softmax"``) or as given."""
    if isinstance(spec, Family):
        return spec
    try:
        return FAMILIES[spec]()
    except (KeyError, TypeError):
        raise ValueError(
            f"family must be one of {', '.join(map(repr, FAMILIES))} or a Family; got {spec!r}"
        ) from None


class SampledLoss:
    """One member of a family: ``loss(logits, target, **kwargs)``.

    Attributes
    ----------
    family
        The :class:`Family`.
    params
        The sampled parameters, float64 NumPy arrays by name.
    epoch, index
        Where the search drew it (epoch, and sample within the epoch); handy for seeding
        a ``train_step``'s own shuffling.
    """

    __slots__ = ("epoch", "family", "index", "params")

    def __init__(
        self, family: Family, params: Mapping[str, np.ndarray], epoch: int = 0, index: int = 0
    ) -> None:
        self.family = family
        self.params = dict(params)
        self.epoch = epoch
        self.index = index

    def arrays(self, like: Any) -> dict[str, Any]:
        """The parameters in the library, floating dtype and device of the array ``like``.

        Pass these as arguments of a jitted step (``loss.family.fn(logits, y, **params)``)
        so that one compilation serves every sampled member.
        """
        ns = resolve(like)
        return {
            k: ns.xp.asarray(v, dtype=ns.dtype, device=ns.device) for k, v in self.params.items()
        }

    def __call__(self, logits: Any, target: Any, **kwargs: Any) -> Any:
        return self.family.fn(logits, target, **self.arrays(logits), **kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={np.round(v, 4).tolist()}" for k, v in self.params.items())
        return f"SampledLoss({self.family.name}: {args})"
