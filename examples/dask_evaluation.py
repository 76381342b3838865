"""Score a large chunked prediction array lazily with dask: nothing computes until asked.

The losses build a dask graph over the chunks (anyloss writes no Python branch on values
and no in-place update), so a dataset larger than memory is scored chunk by chunk in one
``dask.compute``; the result equals NumPy's.

    python examples/dask_evaluation.py
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np

import anyloss

ROWS, CLASSES, CHUNK = 200_000, 10, 25_000


def main() -> None:
    rng = np.random.default_rng(0)
    logits_np = rng.standard_normal((ROWS, CLASSES))
    labels_np = rng.integers(0, CLASSES, ROWS)
    logits = da.from_array(logits_np, chunks=(CHUNK, CLASSES))
    labels = da.from_array(labels_np, chunks=CHUNK)

    ce = anyloss.cross_entropy(logits, labels)
    focal = anyloss.softmax_focal(logits, labels, gamma=2.0)
    huber = anyloss.huber(logits[:, 0], logits[:, 1], delta=0.5)
    print(f"lazy: {type(ce).__name__} with {len(ce.__dask_graph__())} tasks, nothing computed yet")
    ce_v, focal_v, huber_v = dask.compute(ce, focal, huber)
    print(f"cross_entropy {float(ce_v):.6f}  softmax_focal {float(focal_v):.6f}", end="  ")
    print(f"huber {float(huber_v):.6f}")
    reference = float(anyloss.cross_entropy(logits_np, labels_np))
    print(f"NumPy cross_entropy {reference:.6f}  (difference {abs(float(ce_v) - reference):.1e})")


if __name__ == "__main__":
    main()
