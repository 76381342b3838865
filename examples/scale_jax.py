"""Data-parallel training in JAX with the mean right across devices: shard_map + psum.

Each device holds a slice of a batch of tokens, a different number of them padding
(``ignore_index``). The batch's mean cross-entropy is the sum of the token losses over
the number of real tokens in the whole batch: ``anyloss.mean_parts`` gives each device
its sum and its count, ``jax.lax.psum`` adds them over the mesh, one division follows.
Averaging the devices' own means instead (the bug of transformers#35203 and torchtune
#1875) weighs a token on a device with little real text more than one on a busy device.

Runs on the CPU with simulated host devices (``XLA_FLAGS`` must be set before jax is
imported, as below); needs a JAX with ``jax.shard_map`` (0.7 or later):

    python examples/scale_jax.py
"""

from __future__ import annotations

import os

DEVICES = 4
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={DEVICES}"
)
os.environ.setdefault("JAX_PLATFORMS", "cpu")

from typing import Any  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import anyloss  # noqa: E402

PAD = -100
TOKENS, FEATURES, CLASSES = 64, 8, 5


def make_batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels; device d's slice has more padding the larger d is."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((TOKENS, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, TOKENS)
    per = TOKENS // DEVICES
    for d in range(DEVICES):
        y[d * per : d * per + per * d // DEVICES] = PAD  # device 0: none, device 3: 3/4
    return x, y


def global_mean(mesh: Any) -> Any:
    """``loss(w, x, y)``: the batch's mean cross-entropy, computed shard by shard."""

    def local(w: Any, x: Any, y: Any) -> Any:
        num, den = anyloss.mean_parts(anyloss.cross_entropy, x @ w, y, ignore_index=PAD)
        num, den = jax.lax.psum(num, "batch"), jax.lax.psum(den, "batch")
        return num / jnp.where(den == 0, 1.0, den)

    return jax.shard_map(local, mesh=mesh, in_specs=(P(), P("batch"), P("batch")), out_specs=P())


def mean_of_device_means(mesh: Any) -> Any:
    """The bug, for comparison: each device's own mean, averaged over devices."""

    def local(w: Any, x: Any, y: Any) -> Any:
        mean = anyloss.cross_entropy(x @ w, y, ignore_index=PAD)
        return jax.lax.pmean(mean, "batch")

    return jax.shard_map(local, mesh=mesh, in_specs=(P(), P("batch"), P("batch")), out_specs=P())


def main() -> None:
    mesh = jax.make_mesh((DEVICES,), ("batch",))
    x, y = make_batch()
    xs = jax.device_put(x, NamedSharding(mesh, P("batch")))
    ys = jax.device_put(y, NamedSharding(mesh, P("batch")))
    w = jnp.zeros((FEATURES, CLASSES), jnp.float32)
    loss = global_mean(mesh)
    step = jax.jit(jax.value_and_grad(loss))
    whole = jax.jit(
        lambda w: anyloss.cross_entropy(jnp.asarray(x) @ w, jnp.asarray(y), ignore_index=PAD)
    )
    for i in range(50):
        value, grad = step(w, xs, ys)
        w = w - 0.5 * grad
        if i % 10 == 0:
            print(f"step {i:2d}: global mean {float(value):.6f}")
    sharded, unsharded = float(loss(w, xs, ys)), float(whole(w))
    naive = float(mean_of_device_means(mesh)(w, xs, ys))
    real = [int(np.sum(part != PAD)) for part in np.split(y, DEVICES)]
    print(f"{DEVICES} devices, real tokens per device: {real}")
    print(f"global mean over devices (mean_parts + psum): {sharded:.6f}")
    print(f"the same batch on one device:                 {unsharded:.6f}")
    print(f"mean of the devices' means (wrong):           {naive:.6f}")
    assert abs(sharded - unsharded) <= 1e-5 * abs(unsharded)
    assert abs(naive - unsharded) > 1e-3


if __name__ == "__main__":
    main()
