"""The one reduction every loss ends with."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["reduce"]


def reduce(loss: Any, reduction: str, xp: Any, *, normalizer: Any = None) -> Any:
    """Reduce an unreduced loss array.

    Parameters
    ----------
    loss
        The unreduced loss (already multiplied by any weights or masks).
    reduction
        ``"none"`` returns ``loss``; ``"sum"`` its sum; ``"mean"`` its mean, or
        ``sum(loss) / normalizer`` when a normalizer (say the sum of target weights) is given.
    xp
        The array namespace.
    normalizer
        Optional array: the denominator of ``"mean"``. Where it is 0 (every element
        ignored or masked), ``"mean"`` returns 0 with a zero gradient, not NaN.
    """
    if reduction == "none":
        return loss
    if reduction == "sum":
        return xp.sum(loss)
    if normalizer is not None:
        safe = xp.where(normalizer == 0, xp.ones_like(normalizer), normalizer)
        return xp.sum(loss) / safe
    if math.prod(loss.shape) == 0:
        return xp.sum(loss)  # mean of nothing is 0, not NaN
    return xp.mean(loss)
