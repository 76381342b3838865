"""Keras, imported on demand with the JAX backend (for native references)."""

from __future__ import annotations

import functools
import os
from typing import Any


@functools.cache
def keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras as k

    k.config.set_floatx("float64")
    return k
