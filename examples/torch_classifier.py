"""Train a small PyTorch classifier with anyloss.cross_entropy (a plain training loop).

Three overlapping Gaussian blobs, an MLP, ``torch.optim.Adam`` and anyloss's
cross-entropy with class weights and label smoothing, differentiated by torch autograd.
At the end the loss is compared with ``torch.nn.functional.cross_entropy`` on the same
batch (the same number).

    python examples/torch_classifier.py
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import anyloss

CLASSES, FEATURES, PER_CLASS = 3, 2, 200


def make_data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Points around three centres; labels are their class indices (int64)."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    x = torch.cat([c + 1.2 * torch.randn(PER_CLASS, FEATURES, generator=gen) for c in centres])
    y = torch.arange(CLASSES).repeat_interleave(PER_CLASS)
    return x, y


def main(steps: int = 200, seed: int = 0) -> float:
    """Train; print the loss and accuracy as it goes; return the final accuracy."""
    torch.manual_seed(seed)
    x, y = make_data(seed)
    model = nn.Sequential(nn.Linear(FEATURES, 32), nn.ReLU(), nn.Linear(32, CLASSES))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    weight = torch.tensor([1.0, 2.0, 1.0])  # class 1 counts twice
    for step in range(steps + 1):
        logits = model(x)
        loss = anyloss.cross_entropy(logits, y, weight=weight, label_smoothing=0.05)
        if step % 100 == 0:
            accuracy = (logits.argmax(-1) == y).float().mean().item()
            print(f"step {step:3d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        logits = model(x)
        ours = anyloss.cross_entropy(logits, y, weight=weight, label_smoothing=0.05)
        theirs = F.cross_entropy(logits, y, weight=weight, label_smoothing=0.05)
    print(f"anyloss.cross_entropy {ours.item():.7f}  F.cross_entropy {theirs.item():.7f}")
    return accuracy


if __name__ == "__main__":
    main()
