"""dask.distributed: losses over inputs several times larger than a worker's memory.

A ``LocalCluster`` of two worker processes on 127.0.0.1, each limited to 200 MB, scores
``mse``, ``cross_entropy`` (class indices, ``ignore_index``) and per-image ``dice`` on
lazily generated inputs of 0.6 GB each (``examples/scale_dask.py`` builds them). The
losses stay lazy until computed; the float64 NumPy reference is computed chunk by chunk
(partial sums and counts per chunk, on the same workers); the workers survive.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402
import dask.array as da  # noqa: E402

import anyloss  # noqa: E402

pytestmark = pytest.mark.scale
ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 200e6  # bytes per worker
GIGABYTES = 0.6  # inputs per loss: three times one worker's memory limit
CHUNK_MB = 8.0
DEADLINE = 300  # seconds for the computation (it takes ~20 s on two cores)
AGREE = 1e-11  # float64 sums of ~10^8 terms, tree-reduced vs per-chunk


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("scale_dask", ROOT / "examples/scale_dask.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE = _example()


# --- float64 NumPy references, one (sum, count) per chunk -------------------------------


def _mse_chunk(pred: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    d = pred - target
    return float(np.sum(d * d)), float(d.size)


def _cross_entropy_chunk(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    keep = labels != EXAMPLE.IGNORE
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    picked = logits[np.arange(len(labels)), np.where(keep, labels, 0)]
    return float(np.sum((lse - picked)[keep])), float(keep.sum())


def _dice_chunk(pred: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    inter = (pred * target).sum(axis=(1, 2))
    union = pred.sum(axis=(1, 2)) + target.sum(axis=(1, 2))
    return float(np.sum(1 - (2 * inter + 1) / (union + 1))), float(len(pred))


REFERENCES = {"mse": _mse_chunk, "cross_entropy": _cross_entropy_chunk, "dice": _dice_chunk}


def _chunkwise(name: str, arrays: tuple[Any, ...]) -> list[Any]:
    """One delayed (sum, count) per chunk along axis 0."""
    blocks = [a.to_delayed().ravel() for a in arrays]
    return [dask.delayed(REFERENCES[name])(*chunk) for chunk in zip(*blocks, strict=True)]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = EXAMPLE.start_cluster(2, f"{MEMORY_LIMIT:.0f}", silence_logs=logging.ERROR)
    with cluster, distributed.Client(cluster) as c:
        yield c


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the loss computed a dask array before .compute()")


@pytest.mark.parametrize("name", list(REFERENCES))
def test_loss_on_the_cluster_equals_the_chunkwise_reference(client: Any, name: str) -> None:
    arrays, kw = EXAMPLE.inputs(GIGABYTES, CHUNK_MB)[name]
    assert sum(a.nbytes for a in arrays) >= 3 * MEMORY_LIMIT
    assert arrays[0].npartitions >= 10
    workers = set(client.scheduler_info()["workers"])
    with dask.config.set(scheduler=_refuse):  # building the graph computes nothing
        mean = getattr(anyloss, name)(*arrays, **kw)
        num, den = anyloss.mean_parts(name, *arrays, **kw)
    assert isinstance(mean, da.Array)
    assert isinstance(num, da.Array)
    futures = client.compute([mean, num, den, *_chunkwise(name, arrays)])
    distributed.wait(futures, timeout=DEADLINE)
    got_mean, got_num, got_den, *chunks = client.gather(futures)
    ref_sum = float(np.sum([c[0] for c in chunks]))
    ref_count = float(np.sum([c[1] for c in chunks]))
    assert abs(float(got_mean) - ref_sum / ref_count) <= AGREE * abs(ref_sum / ref_count)
    assert abs(float(got_num) - ref_sum) <= AGREE * abs(ref_sum)
    assert float(got_den) == ref_count
    info = client.scheduler_info()["workers"]
    assert set(info) == workers, "a worker died or was restarted"
    assert all(w["memory_limit"] == MEMORY_LIMIT for w in info.values())


def test_ignore_index_changes_the_denominator() -> None:
    """The ignored labels are really there (a fifth), so the count is not the row count."""
    (_, labels), kw = EXAMPLE.inputs(GIGABYTES, CHUNK_MB)["cross_entropy"]
    first = labels.blocks[0].compute(scheduler="synchronous")
    assert 0.15 < np.mean(first == kw["ignore_index"]) < 0.25
