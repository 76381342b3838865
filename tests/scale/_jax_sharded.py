"""Every registered loss under ``jax.jit`` on inputs sharded over two host devices.

Run as ``python -m tests.scale._jax_sharded OUT.json`` in a fresh process: the two CPU
devices exist only if ``XLA_FLAGS`` is set before jax is imported, which this module does
when run. It writes, per loss and mesh axis type (``auto``: GSPMD propagates the
sharding; ``explicit``: shardings are part of the types), the largest deviation of the
sharded result from the unsharded one (both jitted, float64) for each reduction, and, per
shardable case, that of the ``shard_map`` + ``psum`` global mean built from
``anyloss.mean_parts``. An exception is recorded as its message.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

REDUCTIONS = ("mean", "sum", "none")
DEVICES = 2


def _variants() -> list[tuple[str, str, tuple[Any, ...], dict[str, Any]]]:
    """(id, loss, arrays, kwargs): every registry example, plus normalisers worth a look."""
    import numpy as np

    import anyloss
    from anyloss import _checker

    rng = np.random.default_rng(0)
    out = []
    for name in anyloss.available():
        arrays, kw = _checker.example(name)(rng)
        out.append((name, name, arrays, kw))
    logits, labels = rng.standard_normal((8, 5)), np.array([0, 4, -1, -1, -1, 2, 3, -1])
    weighted = {"weight": np.array([1.0, 0.5, 2.0, 1.5, 3.0]), "ignore_index": -1}
    for name in ("cross_entropy", "softmax_focal"):
        out.append((f"{name}-weight-ignore", name, (logits, labels), weighted))
    masks = (rng.uniform(size=(4, 3, 5)), (rng.uniform(size=(4, 3, 5)) > 0.5) * 1.0)
    out.append(("dice-per-image", "dice", masks, {"axis": (1, 2)}))
    return out


def _split(
    arrays: tuple[Any, ...], kw: dict[str, Any]
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Partition specs of (arrays, array keywords), the array keywords, the scalar ones.

    An array runs along the batch axis (sharded) when its axis 0 has the batch size (for
    a keyword array: and the first input's rank; a per-class ``weight`` is replicated).
    """
    import numpy as np
    from jax.sharding import PartitionSpec as P

    n = arrays[0].shape[0] if arrays[0].ndim else 0

    def spec_of(a: Any, positional: bool) -> Any:
        along = a.ndim >= 1 and a.shape[0] == n and (positional or a.ndim == arrays[0].ndim)
        return P("x") if along and n % DEVICES == 0 else P()

    kw_arrays = {k: v for k, v in kw.items() if isinstance(v, np.ndarray)}
    scalars = {k: v for k, v in kw.items() if k not in kw_arrays}
    specs = (
        tuple(spec_of(a, True) for a in arrays),
        {k: spec_of(v, False) for k, v in kw_arrays.items()},
    )
    return specs, kw_arrays, scalars


def _deviation(a: Any, b: Any) -> float:
    import numpy as np

    from anyloss._checker.tolerance import deviation

    return deviation(np.asarray(a), np.asarray(b))


def _jitted(name: str, arrays: Any, kw: Any) -> tuple[Any, Any, Any]:
    """One jit holding every reduction, its inputs (arrays, array keywords), their specs."""
    import jax

    import anyloss

    fn = getattr(anyloss, name)
    specs, kw_arrays, scalars = _split(arrays, kw)

    def all_reductions(args: Any, kwargs: Any) -> Any:
        return tuple(fn(*args, reduction=r, **kwargs, **scalars) for r in REDUCTIONS)

    return jax.jit(all_reductions), (tuple(arrays), kw_arrays), specs


def _psum(name: str, arrays: Any, kw: Any, mesh: Any) -> Any:
    """``shard_map``: each device's ``mean_parts``, ``psum``-ed, divided once."""
    import jax
    from jax.sharding import PartitionSpec as P

    import anyloss

    specs, kw_arrays, scalars = _split(arrays, kw)

    def local(args: Any, kwargs: Any) -> Any:
        num, den = anyloss.mean_parts(name, *args, **kwargs, **scalars)
        return jax.lax.psum(num, "x"), jax.lax.psum(den, "x")

    step = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=specs, out_specs=(P(), P())))
    num, den = step(tuple(arrays), kw_arrays)
    return num / jax.numpy.where(den == 0, 1.0, den)


def main(path: str) -> None:
    import jax
    from jax.sharding import NamedSharding

    import anyloss

    assert jax.device_count() == DEVICES, jax.devices()
    meshes = {
        mode: jax.make_mesh(
            (DEVICES,), ("x",), axis_types=(getattr(jax.sharding.AxisType, mode.capitalize()),)
        )
        for mode in ("auto", "explicit")
    }
    results: dict[str, Any] = {"devices": jax.device_count(), "psum": {}, **{m: {} for m in meshes}}
    for case_id, name, arrays, kw in _variants():
        step, inputs, specs = _jitted(name, arrays, kw)
        want = step(*jax.device_put(inputs, jax.devices()[0]))
        for mode, mesh in meshes.items():
            try:  # recorded per loss, so one failure does not hide the rest
                shardings = jax.tree.map(lambda s, mesh=mesh: NamedSharding(mesh, s), specs)
                got = step(*jax.device_put(inputs, shardings))
                results[mode][case_id] = {
                    r: _deviation(g, w) for r, g, w in zip(REDUCTIONS, got, want, strict=True)
                }
            except Exception as exc:
                results[mode][case_id] = f"{type(exc).__name__}: {str(exc)[:300]}"
        if anyloss.shardable(name, *arrays, **kw):
            try:
                mean = _psum(name, arrays, kw, meshes["auto"])
                results["psum"][case_id] = _deviation(mean, want[0])
            except Exception as exc:
                results["psum"][case_id] = f"{type(exc).__name__}: {str(exc)[:300]}"
    with open(path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={DEVICES}"
    )
    os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ["JAX_ENABLE_X64"] = "1"
    main(sys.argv[1])
