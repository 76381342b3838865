"""Score predictions far larger than any worker's memory on a dask.distributed cluster.

The inputs are generated lazily, chunk by chunk (a stand-in for ``xarray.open_zarr`` or
``da.from_zarr`` on a forecast archive): nothing exists until ``.compute()``. anyloss
builds a dask graph for each loss (the same function as on NumPy, torch or JAX), the
cluster reduces it chunk by chunk (sums and counts, tree-reduced), and dask's own
progress bar shows the work. Each worker has a memory limit a fraction of the data.

    python examples/scale_dask.py --gigabytes 1 --memory-limit 250MB
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster, progress

import anyloss

IGNORE = -100  # cross_entropy's ignore_index: a fifth of the labels carry it
CLASSES = 32
IMAGE = (128, 128)


def _normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape)


def _uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.random(shape)


def _mask(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return (rng.random(shape) < 0.3).astype(np.float64)


def _labels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    labels = rng.integers(0, CLASSES, shape)
    labels[rng.random(shape) < 0.2] = IGNORE
    return labels


def lazy(
    fill: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray],
    shape: tuple[int, ...],
    rows_per_chunk: int,
    seed: int,
) -> Any:
    """A dask array whose chunk ``i`` along axis 0 is ``fill(rng(seed, i), chunk_shape)``."""

    def block(block_id: Any = None, block_info: Any = None) -> np.ndarray:
        rng = np.random.default_rng([seed, *block_id])
        return fill(rng, tuple(block_info[None]["chunk-shape"]))

    chunks = da.core.normalize_chunks((rows_per_chunk, *shape[1:]), shape)
    dtype = fill(np.random.default_rng(0), (0, *shape[1:])).dtype
    return da.map_blocks(block, chunks=chunks, dtype=dtype, meta=np.empty((0,) * len(shape)))


def _rows(gigabytes: float, row_bytes: float, chunk_mb: float) -> tuple[int, int]:
    """Rows for two inputs of ``gigabytes`` in all, and rows per chunk of ``chunk_mb``."""
    per_chunk = max(1, int(chunk_mb * 1e6 // row_bytes))
    chunks = max(1, round(gigabytes * 1e9 / (2 * per_chunk * row_bytes)))
    return chunks * per_chunk, per_chunk


def inputs(
    gigabytes: float, chunk_mb: float = 16.0
) -> dict[str, tuple[tuple[Any, ...], dict[str, Any]]]:
    """Lazy inputs of about ``gigabytes`` per loss: (arrays, keywords) by loss name."""
    n, per = _rows(gigabytes, 8 * 1024, chunk_mb)
    regression = (lazy(_normal, (n, 1024), per, 1), lazy(_normal, (n, 1024), per, 2))
    n, per = _rows(gigabytes, 8 * (CLASSES + 1) / 2, chunk_mb)
    classification = (lazy(_normal, (n, CLASSES), per, 3), lazy(_labels, (n,), per, 4))
    n, per = _rows(gigabytes, 8 * IMAGE[0] * IMAGE[1], chunk_mb)
    masks = (lazy(_uniform, (n, *IMAGE), per, 5), lazy(_mask, (n, *IMAGE), per, 6))
    return {
        "mse": (regression, {}),
        "cross_entropy": (classification, {"ignore_index": IGNORE}),
        "dice": (masks, {"axis": (1, 2)}),  # one score per image, then their mean
    }


def start_cluster(workers: int, memory_limit: str, **options: Any) -> LocalCluster:
    """Worker processes on the loopback interface, one thread each, a memory limit each."""
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit,
        host="127.0.0.1",
        dashboard_address=None,
        **options,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=1.0, help="input size per loss")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="250MB", help="per worker")
    args = parser.parse_args()
    with start_cluster(args.workers, args.memory_limit) as cluster, Client(cluster) as client:
        losses = {}
        for name, (arrays, kw) in inputs(args.gigabytes).items():
            size = sum(a.nbytes for a in arrays) / 1e9
            print(f"{name}: inputs {size:.2f} GB in {arrays[0].npartitions} chunks (lazy)")
            losses[name] = getattr(anyloss, name)(*arrays, **kw)  # a dask graph, no work yet
        start = time.perf_counter()
        futures = client.compute(list(losses.values()))
        progress(futures)  # dask's own progress bar
        values = client.gather(futures)
        print(f"\ncomputed in {time.perf_counter() - start:.1f} s")
        for name, value in zip(losses, values, strict=True):
            print(f"  {name:14s} {float(value):.10f}")


if __name__ == "__main__":
    main()
