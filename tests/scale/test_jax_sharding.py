"""JAX on two host devices: sharded inputs under ``jax.jit``, and ``shard_map`` + ``psum``.

``XLA_FLAGS=--xla_force_host_platform_device_count=2`` must be set before jax is
imported, so the checks run in one fresh process (``tests/scale/_jax_sharded.py``, with a
deadline) and this module asserts on what it reports, loss by loss:

* every registered loss (its registry example, plus the normalisers of class weights,
  ``ignore_index`` and per-image Dice), jitted, on inputs sharded along axis 0 over the
  two devices equals the same jit on one device, for every reduction (float64);
* every shardable case: each device's ``anyloss.mean_parts``, ``psum``-ed inside
  ``shard_map``, divided once, equals the unsharded "mean".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("jax")

import anyloss
from tests.scale._jax_sharded import _variants

pytestmark = pytest.mark.scale
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 400  # seconds; the run takes ~35 s of CPU
EQUAL = 1e-12  # float64: the same sums, added in another order across devices

VARIANTS = [(case_id, name, arrays, kw) for case_id, name, arrays, kw in _variants()]
IDS = [v[0] for v in VARIANTS]
SHARDABLE = [v[0] for v in VARIANTS if anyloss.shardable(v[1], *v[2], **v[3])]

# With explicit sharding (``AxisType.Explicit``: shardings are part of the array types),
# XLA refuses these ops on an operand sharded along the batch until the user reshards
# it; under the default-style ``Auto`` axes (GSPMD) all of them work.
EXPLICIT_REFUSED = {
    "lovasz_hinge": "reshape of the batch-sharded logits into one row (pooled over the batch)",
    "lovasz_softmax": "reshape of the batch-sharded pixels into one row per class",
    "ntxent": "the (N, N) similarity of batch-sharded embeddings",
    "supcon": "the (N, N) similarity of batch-sharded embeddings",
    "circle": "the (N, N) similarity of batch-sharded embeddings",
    "clip_contrastive": "the (N, N) image-text similarity of batch-sharded embeddings",
    "cross_entropy-weight-ignore": "take() of the replicated class weights by sharded labels",
    "softmax_focal-weight-ignore": "take() of the replicated class weights by sharded labels",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("jax") / "sharded.json"
    _python("-m", "tests.scale._jax_sharded", str(out))
    return dict(json.loads(out.read_text()))


def _python(*args: str) -> str:
    """Run Python in a fresh process (it sets its own ``XLA_FLAGS``); its stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    env.pop("XLA_FLAGS", None)
    run = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def _equal(result: Any, what: str) -> None:
    assert not isinstance(result, str), f"{what}: {result}"
    worst = max(result.values()) if isinstance(result, dict) else result
    assert worst <= EQUAL, f"{what}: sharded differs from unsharded by {result}"


def test_two_host_devices(report: dict[str, Any]) -> None:
    assert report["devices"] == 2


def test_every_loss_is_covered() -> None:
    assert set(anyloss.available()) <= set(IDS)


@pytest.mark.parametrize("case_id", IDS)
def test_jit_on_sharded_inputs_equals_unsharded(report: dict[str, Any], case_id: str) -> None:
    _equal(report["auto"][case_id], f"{case_id} (auto sharding)")


@pytest.mark.parametrize("case_id", IDS)
def test_explicit_sharding(report: dict[str, Any], case_id: str) -> None:
    result = report["explicit"][case_id]
    if case_id in EXPLICIT_REFUSED:
        assert isinstance(result, str), f"{case_id} now runs: drop it from EXPLICIT_REFUSED"
        assert "ShardingTypeError" in result, result
    else:
        _equal(result, f"{case_id} (explicit sharding)")


@pytest.mark.parametrize("case_id", SHARDABLE)
def test_shard_map_psum_of_mean_parts_is_the_mean(report: dict[str, Any], case_id: str) -> None:
    _equal(report["psum"][case_id], f"{case_id} (shard_map + psum)")


def test_the_normalisers_are_not_trivial() -> None:
    """The weighted/ignored variant's devices hold different denominators (uneven)."""
    _, name, (logits, labels), kw = next(
        v for v in VARIANTS if v[0] == "cross_entropy-weight-ignore"
    )
    dens = [
        float(anyloss.mean_denominator(name, logits[p], labels[p], **kw))
        for p in (slice(0, 4), slice(4, 8))
    ]
    assert dens[0] != dens[1]
    assert np.all(dens)


def test_the_shard_map_example_runs() -> None:
    """``examples/scale_jax.py`` trains with the global mean and checks it (it asserts)."""
    out = _python(str(ROOT / "examples" / "scale_jax.py"))
    assert "mean of the devices' means (wrong)" in out
