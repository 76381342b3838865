"""A user's script, checked by mypy in ``nox -s lint`` (never run): the types a user sees.

``assert_type`` fails the check when a loss stops returning its input's array type; a
``# type: ignore[...]`` marks a call that must stay an error (with
``warn_unused_ignores``, mypy fails if it stops being one).
"""

from __future__ import annotations

from typing import assert_type

import numpy as np
import numpy.typing as npt
import torch

import anyloss
import anyloss.torch

logits, labels = torch.randn(8, 5), torch.randint(0, 5, (8,))
assert_type(anyloss.mse(logits, logits), torch.Tensor)
assert_type(anyloss.cross_entropy(logits, labels, label_smoothing=0.1), torch.Tensor)
assert_type(anyloss.huber(logits, logits, delta=0.5, reduction="none"), torch.Tensor)
assert_type(anyloss.triplet_margin(logits, logits, logits), torch.Tensor)

x: npt.NDArray[np.float64] = np.zeros((4, 3))
assert_type(anyloss.mae(x, x), npt.NDArray[np.float64])

anyloss.mse(logits, logits, reduction="avg")  # type: ignore[arg-type]
anyloss.mse(logits, logits, reduction="mean")

criterion = anyloss.torch.CrossEntropyLoss(label_smoothing=0.1)
assert_type(criterion, anyloss.torch.LossModule)
assert_type(criterion.forward(logits, labels), torch.Tensor)  # (nn.Module.__call__ is Any)
