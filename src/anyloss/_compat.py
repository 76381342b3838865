"""The few places where backends differ from the standard, named and tested.

Loss code never asks which library it runs on; it calls these helpers, which test for
the capability itself.
"""

from __future__ import annotations

from typing import Any

import array_api_compat
from array_api_compat import device

__all__ = ["is_concrete", "one_hot", "stop_gradient", "take_along_axis"]


def one_hot(labels: Any, num_classes: int, xp: Any, *, dtype: Any, axis: int = -1) -> Any:
    """One-hot encode integer ``labels`` into a new axis ``axis`` of size ``num_classes``."""
    classes = xp.arange(num_classes, device=device(labels))
    expanded = xp.expand_dims(labels, axis=axis)
    shape = [1] * expanded.ndim
    shape[axis] = num_classes
    return xp.astype(expanded == xp.reshape(classes, tuple(shape)), dtype)


def _torch_stop(x: Any) -> Any:
    return x.detach()


def _jax_stop(x: Any) -> Any:
    import jax

    return jax.lax.stop_gradient(x)


def _identity(x: Any) -> Any:
    return x


_STOPPERS: dict[type, Any] = {}


def stop_gradient(x: Any) -> Any:
    """``x`` as a constant for differentiation: its value, with no gradient flowing back.

    The standard has no such function. A shift that cancels out of a formula exactly (the
    maximum subtracted in a log-sum-exp) must not be differentiated: its gradient is
    zero in exact arithmetic, but autograd would still compute it, through a ``max``
    whose backward scatters into a full-size array. torch: ``Tensor.detach``; jax:
    ``jax.lax.stop_gradient`` (what ``jax.nn.logsumexp`` uses); numpy, cupy, dask and
    array-api-strict have no autograd: the identity. Chosen once per array type.
    """
    stop = _STOPPERS.get(type(x))
    if stop is None:
        if array_api_compat.is_torch_array(x):
            stop = _torch_stop
        elif array_api_compat.is_jax_array(x):
            stop = _jax_stop
        else:
            stop = _identity
        _STOPPERS[type(x)] = stop
    return stop(x)


def take_along_axis(x: Any, indices: Any, xp: Any, *, axis: int) -> Any:
    """``xp.take_along_axis`` where the namespace has it (numpy, torch, jax, cupy, strict).

    dask's namespace lacks it (BACKEND-NOTES): there the values are picked with a
    comparison against ``arange`` and a sum, which stays lazy and chunked. That fallback
    covers the loss use, one index per slice (``indices.shape[axis] == 1``, e.g. a class
    label per sample); other index shapes raise ``ValueError`` there.
    """
    if hasattr(xp, "take_along_axis"):
        return xp.take_along_axis(x, indices, axis=axis)
    if indices.shape[axis] != 1:
        raise ValueError(
            "take_along_axis without native support picks one index per slice; got "
            f"indices of size {indices.shape[axis]} along axis {axis}"
        )
    size = x.shape[axis]
    classes = xp.arange(size, device=device(x))
    shape = [1] * x.ndim
    shape[axis] = size
    mask = indices == xp.reshape(classes, tuple(shape))
    return xp.sum(xp.where(mask, x, xp.zeros_like(x)), axis=axis, keepdims=True)


def is_concrete(x: Any) -> bool:
    """Whether the values of array ``x`` can be read now, without tracing or computing.

    ``array_api_compat.is_lazy_array`` answers True for every jax array, concrete ones
    too, and knows nothing of ``torch.compile``; so: a jax array is concrete unless it is
    a tracer or jax is tracing (a concrete array closed over by a jitted function turns
    into a tracer at its first operation), a torch tensor unless torch is compiling, and
    anything else unless it is lazy (dask).
    """
    if array_api_compat.is_jax_array(x):
        import jax

        return not isinstance(x, jax.core.Tracer) and _jax_not_tracing()
    if array_api_compat.is_torch_array(x):
        import torch

        return not torch.compiler.is_compiling()
    return not array_api_compat.is_lazy_array(x)


def _jax_not_tracing() -> bool:
    """True outside any jax trace. jax has no public query for this; if its private one
    moves, report "tracing", which only skips the eager value checks (safe)."""
    try:
        from jax._src.core import trace_state_clean
    except ImportError:  # pragma: no cover - depends on the jax release
        return False
    return bool(trace_state_clean())
