"""Keras, imported on demand with the JAX backend (for native references).

Keras reductions (``keras.ops.mean``) on the JAX backend lose float64 precision (~5e-8
relative, measured): Keras natives carry ``tolerance=KERAS_TOLERANCE, why=KERAS_WHY``
(see ``tests/cases/__init__.py``).
"""

from __future__ import annotations

import functools
import os
from typing import Any

KERAS_REDUCTION = {"mean": "sum_over_batch_size", "sum": "sum", "none": None}
"""anyloss's ``reduction`` as the ``reduction`` of a Keras loss class."""


@functools.cache
def keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras as k

    k.config.set_floatx("float64")
    k.config.set_dtype_policy("float64")
    return k
