"""What checks the losses, kept out of the loss modules: ``anyloss check`` and the test harness.

- ``examples``: every loss's example inputs and differentiable arguments (``example``,
  ``wrt`` below), built with the ``makers``;
- ``backends``: the array libraries as the checks see them (make, read, differentiate);
- ``tolerance``: the one tolerance table and the deviation measure;
- ``harness``: input conversion, substitution of differentiable inputs, the gradient
  objective, finite differences with stopped values held (shared with ``tests/_matrix.py``);
- ``check``: the ``anyloss check`` table and its command line.

Nothing here is imported by ``import anyloss``.
"""

from __future__ import annotations

from .examples import EXAMPLES, Entry
from .makers import Example

__all__ = ["Entry", "Example", "entry", "example", "wrt"]


def entry(name: str) -> Entry:
    """Loss ``name``'s example entry; ``KeyError`` if the table has none."""
    try:
        return EXAMPLES[name]
    except KeyError:
        raise KeyError(
            f"loss {name!r} has no example: add one to anyloss/_checker/examples.py"
        ) from None


def example(name: str) -> Example:
    """``example(rng) -> (arrays, kwargs)``: float64/int64 NumPy inputs for loss ``name``."""
    return entry(name).example


def wrt(name: str) -> tuple[int | str, ...]:
    """Loss ``name``'s differentiable inputs: positions of array arguments, keyword names."""
    return entry(name).wrt
