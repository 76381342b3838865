"""anyloss: deep-learning losses written once against the Python Array API standard.

Every loss takes arrays from NumPy, CuPy, PyTorch, JAX, dask or any Array API library
and returns its result in the same library, on the same device, in the same floating
dtype. See ``anyloss.available()`` for the names and ``anyloss.get`` for configured
callables.
"""

from __future__ import annotations

from . import (
    binary,
    classification,
    divergence,
    embedding,
    ranking,
    regression,
    robust,
    segmentation,
)
from ._registry import Loss, available, get
from ._settings import portable, set_value_checks, value_checks
from ._shards import mean_denominator, mean_parts, shardable
from .binary import *  # noqa: F403
from .classification import *  # noqa: F403
from .divergence import *  # noqa: F403
from .embedding import *  # noqa: F403
from .ranking import *  # noqa: F403
from .regression import *  # noqa: F403
from .robust import *  # noqa: F403
from .segmentation import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [
    "Loss",
    "available",
    "get",
    "mean_denominator",
    "mean_parts",
    "portable",
    "set_value_checks",
    "shardable",
    "value_checks",
    *regression.__all__,
    *classification.__all__,
    *divergence.__all__,
    *binary.__all__,
    *segmentation.__all__,
    *embedding.__all__,
    *ranking.__all__,
    *robust.__all__,
]
