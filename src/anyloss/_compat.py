"""The few places where backends differ from the standard, named and tested.

Loss code never asks which library it runs on; it calls these helpers, which test for
the capability itself.
"""

from __future__ import annotations

from typing import Any

import array_api_compat
from array_api_compat import device

__all__ = ["index_dtype", "is_concrete", "one_hot", "take_along_axis"]

_INDEX_DTYPES: dict[tuple[int, Any], Any] = {}


def index_dtype(xp: Any, device: Any) -> Any:
    """The namespace's default indexing dtype (``take_along_axis`` in torch needs int64).

    Cached per namespace (by id: ``torch.compile`` cannot compare modules as dict keys)
    and device where the device is hashable (cupy's is not).
    """
    try:
        return _INDEX_DTYPES[(id(xp), device)]
    except KeyError:
        dtype = xp.__array_namespace_info__().default_dtypes(device=device)["indexing"]
        _INDEX_DTYPES[(id(xp), device)] = dtype
        return dtype
    except TypeError:
        return xp.__array_namespace_info__().default_dtypes(device=device)["indexing"]


def one_hot(labels: Any, num_classes: int, xp: Any, *, dtype: Any, axis: int = -1) -> Any:
    """One-hot encode integer ``labels`` into a new axis ``axis`` of size ``num_classes``."""
    classes = xp.arange(num_classes, device=device(labels))
    expanded = xp.expand_dims(labels, axis=axis)
    shape = [1] * expanded.ndim
    shape[axis] = num_classes
    return xp.astype(expanded == xp.reshape(classes, tuple(shape)), dtype)


def take_along_axis(x: Any, indices: Any, xp: Any, *, axis: int) -> Any:
    """``xp.take_along_axis`` where the namespace has it (numpy, torch, jax, cupy, strict).

    dask's namespace lacks it (BACKEND-NOTES): there the values are picked with a
    comparison against ``arange`` and a sum, which stays lazy and chunked. That fallback
    covers the loss use, one index per slice (``indices.shape[axis] == 1``, e.g. a class
    label per sample); other index shapes raise ``ValueError`` there. Indices of any
    integer dtype work (torch's ``take_along_dim`` itself takes int64 only).
    """
    wanted = index_dtype(xp, device(x))
    if indices.dtype != wanted:
        indices = xp.astype(indices, wanted)
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
