"""The two user switches: value checks, and native kernels.

**Value checks** (labels in range, probabilities in [0, 1], targets in {-1, +1}, ...) read
array data. On an accelerator that read is a host–device synchronisation on every call,
and under ``jax.jit``/``torch.compile`` or on dask the values do not exist yet. So:

* ``"auto"`` (the default): check concrete arrays that live in host memory (NumPy,
  array-api-strict, torch and jax on the CPU), where reading is free; skip everything else.
* ``True``: check every concrete array, also on an accelerator (a sync per call).
* ``False``: check nothing.

Set it with ``anyloss.set_value_checks(mode)`` (returns the previous mode), for a block
with ``with anyloss.value_checks(mode):``, or for a process with the environment variable
``ANYLOSS_VALUE_CHECKS=auto|on|off``. Where values are not checked, a class label outside
``[0, C)`` gives NaN for its sample, never a finite wrong value.

**Native kernels**: where a backend ships a fused kernel with the catalog's semantics
(``torch.nn.functional.cross_entropy`` ...), anyloss calls it (``_delegation.py``); the
portable ``xp`` function stays the definition and the fallback. ``with anyloss.portable():``
or ``ANYLOSS_NATIVE=0`` forces the portable path (the test matrix runs both).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any, Literal

from ._compat import array_kind, cached, device_of, is_concrete, tracing

__all__ = [
    "checks_tensor",
    "checks_values",
    "portable",
    "set_value_checks",
    "value_checks",
]

Mode = Literal["auto"] | bool

_ENV_MODES: dict[str, Mode] = {"auto": "auto", "on": True, "1": True, "off": False, "0": False}


def _mode_from_env() -> Mode:
    raw = os.environ.get("ANYLOSS_VALUE_CHECKS", "auto").strip().lower()
    if raw not in _ENV_MODES:
        raise ValueError(f"ANYLOSS_VALUE_CHECKS must be auto, on or off; got {raw!r}")
    return _ENV_MODES[raw]


class State:
    """Module state (plain attributes: ``torch.compile`` guards on them, no graph break)."""

    value_checks: Mode = _mode_from_env()
    native: bool = os.environ.get("ANYLOSS_NATIVE", "1").strip().lower() not in ("0", "off")


def _check_mode(mode: object) -> Mode:
    if mode == "auto" or isinstance(mode, bool):
        return mode
    raise ValueError(f"value checks mode must be 'auto', True or False; got {mode!r}")


def set_value_checks(mode: Mode) -> Mode:
    """Turn value checks on (``True``), off (``False``) or to ``"auto"``; returns the old mode.

    ``"auto"`` (the default) checks arrays whose values sit in host memory and are
    concrete; ``True`` also checks accelerator arrays (one host–device sync per check).
    """
    old = State.value_checks
    State.value_checks = _check_mode(mode)
    return old


@contextlib.contextmanager
def value_checks(mode: Mode) -> Iterator[None]:
    """``with anyloss.value_checks(False): ...`` sets the mode for the block only."""
    old = set_value_checks(mode)
    try:
        yield
    finally:
        State.value_checks = old


_ON_HOST: dict[Any, bool] = {}


def _on_host(x: Any) -> bool:
    """Whether the values of ``x`` live in host memory (reading them needs no sync)."""
    dev = device_of(x)
    return cached(_ON_HOST, (type(x), dev), _host_device, x, dev)


def _host_device(x: Any, dev: Any) -> bool:
    kind = getattr(dev, "type", None) or getattr(dev, "platform", None)  # torch, jax
    if kind is None:  # numpy ("cpu"), array-api-strict (numpy inside); cupy is not
        kind = "gpu" if array_kind(x) == "cupy" else "cpu"
    return kind == "cpu"


def checks_values(x: Any) -> bool:
    """Whether the values of array ``x`` are to be checked now, under the current mode."""
    return cached(_CHECKED_BY_TYPE, type(x), _checker_of, x)(x)


def _checker_of(x: Any) -> Any:
    """``checked(x)`` for the type of ``x`` (asked once per type)."""
    kind = array_kind(x)
    if kind == "torch":
        return checks_tensor
    return _numpy_checked if kind == "numpy" else _other_checked


def _numpy_checked(x: Any) -> bool:
    """NumPy arrays are concrete and in host memory: checked unless the mode is off."""
    return State.value_checks is not False


def checks_tensor(x: Any) -> bool:
    """``checks_values`` for a torch tensor, called directly by the torch kernels: not while
    torch is compiling, on an accelerator only in mode ``True`` (no ``torch.device`` made:
    this runs on every call)."""
    mode = State.value_checks
    return mode is not False and not tracing() and (mode is True or x.is_cpu)


def _other_checked(x: Any) -> bool:
    """Any other array: if concrete, and in host memory or in mode ``True``."""
    mode = State.value_checks
    return mode is not False and is_concrete(x) and (mode is True or _on_host(x))


_CHECKED_BY_TYPE: dict[type, Any] = {}
"""``checks_values``' answer for each array type (one lookup per call)."""


@contextlib.contextmanager
def portable() -> Iterator[None]:
    """Within the block every loss runs its portable ``xp`` form, never a native kernel."""
    old = State.native
    State.native = False
    try:
        yield
    finally:
        State.native = old
