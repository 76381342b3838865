"""The types of the public signatures, in one place.

``Array`` is a type variable: a loss returns the array type it was given, so a type
checker sees ``anyloss.mse(torch.Tensor, torch.Tensor) -> torch.Tensor`` and
``anyloss.mse(jax.Array, jax.Array) -> jax.Array``. It is bound to ``HasShape`` (an
array of any library: ``shape``, ``ndim`` and ``dtype``). ``Reduction`` is the set of
``reduction`` values every loss takes, so a type checker rejects ``reduction="avg"``.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, TypeVar

__all__ = ["Array", "HasShape", "Reduction"]


class HasShape(Protocol):
    """What every Array API array has (NumPy, CuPy, torch, jax, dask, array-api-strict)."""

    @property
    def shape(self) -> Any: ...

    @property
    def ndim(self) -> Any: ...

    @property
    def dtype(self) -> Any: ...


Array = TypeVar("Array", bound=HasShape)
"""The array type of a loss's inputs, and so of its result."""

Reduction = Literal["mean", "sum", "none"]
"""``"mean"``, ``"sum"`` or ``"none"`` (no reduction)."""
