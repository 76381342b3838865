"""The backends of the test matrix: how to make, read and differentiate their arrays.

``ANYLOSS_BACKENDS`` (comma-separated: numpy, strict, torch, jax, dask, cupy,
torch-cuda) selects them. A backend that is named but cannot be imported (or has no
GPU) is an error, never a silent skip. Unset, every importable CPU backend runs, plus
the GPU ones when a GPU is present.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

os.environ.setdefault("JAX_ENABLE_X64", "1")  # before jax makes any array

CPU_BACKENDS = ("numpy", "strict", "torch", "jax", "dask")
GPU_BACKENDS = ("cupy", "torch-cuda")


class Backend:
    """One array library (on one device) as the tests see it."""

    name: str = ""
    module: str = ""
    autograd: bool = False
    half_dtypes: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.lib = importlib.import_module(self.module)

    def __repr__(self) -> str:
        return self.name

    @property
    def xp(self) -> Any:
        import array_api_compat

        return array_api_compat.array_namespace(self.asarray(np.zeros(1), "float64"))

    def dtype(self, name: str) -> Any:
        return getattr(self.xp, name)

    def asarray(self, x: Any, dtype: str) -> Any:
        raise NotImplementedError

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    def value_and_grad(self, f: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Any, list[np.ndarray]]:
        """``f(*inputs)`` (a scalar) and its gradient w.r.t. every input."""
        raise NotImplementedError(f"{self.name} has no autograd")


class NumpyBackend(Backend):
    name, module = "numpy", "numpy"

    def asarray(self, x: Any, dtype: str) -> Any:
        return np.asarray(x, dtype=dtype)


class StrictBackend(Backend):
    name, module = "strict", "array_api_strict"

    def asarray(self, x: Any, dtype: str) -> Any:
        return self.lib.asarray(np.asarray(x), dtype=getattr(self.lib, dtype))

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(self.lib.astype(x, self.lib.float64) if x.dtype != self.lib.bool
                          else x, dtype=np.float64)


class TorchBackend(Backend):
    name, module, autograd = "torch", "torch", True
    half_dtypes = ("float16", "bfloat16")
    device = "cpu"

    def asarray(self, x: Any, dtype: str) -> Any:
        t = self.lib.from_numpy(np.ascontiguousarray(np.asarray(x)))
        return t.to(device=self.device, dtype=getattr(self.lib, dtype))

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.detach().to(device="cpu", dtype=self.lib.float64).numpy()

    def value_and_grad(self, f: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Any, list[np.ndarray]]:
        leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
        out = f(*leaves)
        grads = self.lib.autograd.grad(out, leaves, allow_unused=True)
        return out, [np.zeros(x.shape) if g is None else self.to_numpy(g)
                     for g, x in zip(grads, leaves)]


class TorchCudaBackend(TorchBackend):
    name, device = "torch-cuda", "cuda"

    def __init__(self) -> None:
        super().__init__()
        if not self.lib.cuda.is_available():
            raise ImportError("torch-cuda was asked for but torch sees no CUDA device")


class JaxBackend(Backend):
    name, module, autograd = "jax", "jax", True
    half_dtypes = ("float16", "bfloat16")

    def __init__(self) -> None:
        super().__init__()
        self.lib.config.update("jax_enable_x64", True)
        self.jnp = importlib.import_module("jax.numpy")

    def asarray(self, x: Any, dtype: str) -> Any:
        return self.jnp.asarray(np.asarray(x), dtype=getattr(self.jnp, dtype))

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(self.jnp.asarray(x, dtype=self.jnp.float64))

    def value_and_grad(self, f: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Any, list[np.ndarray]]:
        argnums = tuple(range(len(inputs)))
        out, grads = self.lib.jit(self.lib.value_and_grad(f, argnums=argnums))(*inputs)
        return out, [self.to_numpy(g) for g in grads]


class DaskBackend(Backend):
    name, module = "dask", "dask.array"

    def asarray(self, x: Any, dtype: str) -> Any:
        x = np.asarray(x, dtype=dtype)
        chunks = tuple(max(1, (s + 1) // 2) for s in x.shape)  # several chunks
        return self.lib.from_array(x, chunks=chunks)

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x.compute(), dtype=np.float64)


class CupyBackend(Backend):
    name, module = "cupy", "cupy"

    def __init__(self) -> None:
        super().__init__()
        if not self.lib.cuda.is_available():
            raise ImportError("cupy was asked for but no CUDA device is available")

    def asarray(self, x: Any, dtype: str) -> Any:
        return self.lib.asarray(np.asarray(x), dtype=dtype)

    def to_numpy(self, x: Any) -> np.ndarray:
        return self.lib.asnumpy(x).astype(np.float64)


_CLASSES: dict[str, type[Backend]] = {
    c.name: c for c in (NumpyBackend, StrictBackend, TorchBackend, JaxBackend, DaskBackend,
                        CupyBackend, TorchCudaBackend)
}


def _try(name: str) -> Backend | None:
    try:
        return _CLASSES[name]()
    except ImportError:
        return None


def selected_backends() -> list[Backend]:
    """The backends this run covers (see the module docstring)."""
    requested = os.environ.get("ANYLOSS_BACKENDS", "").strip()
    if not requested:
        found = [_try(n) for n in CPU_BACKENDS + GPU_BACKENDS]
        return [b for b in found if b is not None]
    backends = []
    for name in (n.strip() for n in requested.split(",") if n.strip()):
        if name not in _CLASSES:
            raise ValueError(f"ANYLOSS_BACKENDS names unknown backend {name!r}; "
                             f"known: {', '.join(_CLASSES)}")
        try:
            backends.append(_CLASSES[name]())
        except ImportError as exc:
            raise RuntimeError(f"backend {name!r} was asked for but cannot be used: {exc}") from exc
    return backends


def missing_backends(selected: Sequence[Backend]) -> list[str]:
    have = {b.name for b in selected}
    return [n for n in CPU_BACKENDS if n not in have]
