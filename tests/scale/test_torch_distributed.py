"""``torch.distributed``: the global mean of ``cross_entropy`` with ``ignore_index``.

Two gloo processes on 127.0.0.1, spawned here with a deadline, each holding an uneven
shard of one batch (different numbers of ignored labels): ``mean_parts`` and one
``all_reduce`` give every rank the single-process ``torch.nn.functional.cross_entropy``
mean, and ``num / global_den`` the rank's rows of its gradient.
"""

from __future__ import annotations

import multiprocessing
import socket
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

from tests.scale import _torch_worker as worker  # noqa: E402

pytestmark = [
    pytest.mark.scale,
    pytest.mark.skipif(not dist.is_available(), reason="torch built without distributed"),
]
DEADLINE = 90.0  # seconds for both processes (they take ~5 s)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(world: int, out: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    port = _free_port()
    procs = [
        ctx.Process(target=worker.run, args=(rank, world, port, str(out))) for rank in range(world)
    ]
    for p in procs:
        p.start()
    end = time.monotonic() + DEADLINE
    for p in procs:
        p.join(max(0.0, end - time.monotonic()))
    hung = [p for p in procs if p.is_alive()]
    for p in hung:
        p.kill()
        p.join()
    assert not hung, f"{len(hung)} rank(s) still running after {DEADLINE} s: killed"
    codes = [p.exitcode for p in procs]
    assert codes == [0] * world, f"ranks exited with {codes}"


def test_global_mean_of_cross_entropy_with_ignore_index(tmp_path: Path) -> None:
    _spawn(2, tmp_path)
    logits, labels, weight = worker.batch()
    x = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(
        x, torch.tensor(labels), weight=torch.tensor(weight), ignore_index=worker.IGNORE
    )
    expected.backward()
    local_dens = []
    for rank, part in enumerate(worker.SHARDS):
        got = np.load(tmp_path / f"rank{rank}.npz")
        np.testing.assert_allclose(got["mean"], expected.item(), rtol=1e-13)
        np.testing.assert_allclose(got["grad"], x.grad.numpy()[part], rtol=1e-12, atol=1e-15)
        local_dens.append(float(got["local_den"]))
    kept = labels != worker.IGNORE
    assert local_dens == [weight[labels[p][kept[p]]].sum() for p in worker.SHARDS]
    # the bug this guards against: the average of the shards' means is another number
    shard_means = [
        torch.nn.functional.cross_entropy(
            x[p], torch.tensor(labels[p]), weight=torch.tensor(weight), ignore_index=-100
        ).item()
        for p in worker.SHARDS
    ]
    assert abs(np.mean(shard_means) - expected.item()) > 0.1
