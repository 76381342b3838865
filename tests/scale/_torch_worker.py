"""One rank of the two-process ``torch.distributed`` test (run in a spawned process)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

IGNORE = -100
CLASSES = 5


def batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The global batch every rank rebuilds: logits, labels (many ignored), class weights."""
    rng = np.random.default_rng(14)
    logits = 3 * rng.standard_normal((11, CLASSES))
    labels = rng.integers(0, CLASSES, 11)
    labels[[1, 2, 3, 8]] = IGNORE  # rank 0 keeps 1 of 4 labels, rank 1 keeps 6 of 7
    weight = np.array([0.5, 1.0, 2.0, 1.5, 3.0])
    return logits, labels, weight


SHARDS = (slice(0, 4), slice(4, 11))


def run(rank: int, world: int, port: int, out: str) -> None:
    """Global mean via ``mean_parts`` + ``all_reduce``; its gradient on this rank's rows."""
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    import torch
    import torch.distributed as dist

    import anyloss

    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    try:
        logits, labels, weight = batch()
        part = SHARDS[rank]
        x = torch.tensor(logits[part], requires_grad=True)
        y, w = torch.tensor(labels[part]), torch.tensor(weight)
        num, den = anyloss.mean_parts(anyloss.cross_entropy, x, y, weight=w, ignore_index=IGNORE)
        totals = torch.stack([num.detach(), den])
        dist.all_reduce(totals)  # sum over ranks
        global_den = totals[1]
        mean = totals[0] / torch.where(global_den == 0, 1.0, global_den)
        (num / global_den).backward()  # this rank's share of d(global mean)/d(logits)
        np.savez(
            Path(out) / f"rank{rank}.npz",
            mean=mean.numpy(),
            grad=x.grad.numpy(),
            local_den=den.detach().numpy(),
        )
    finally:
        dist.destroy_process_group()
