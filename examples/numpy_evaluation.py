"""Evaluate predictions with NumPy only: several losses on held-out data, no framework.

anyloss needs nothing but NumPy: here a least-squares fit is scored with regression losses
(and, where scikit-learn is installed, its metrics give the same numbers), and a
classifier's probabilities with the cross-entropies and per-sample losses
(``reduction="none"``) to find the worst-predicted samples.

    python examples/numpy_evaluation.py
"""

from __future__ import annotations

import numpy as np

import anyloss


def regression(rng: np.random.Generator) -> None:
    x = rng.uniform(-3, 3, 200)
    y = 1.5 * x + 0.5 + rng.standard_t(df=2, size=200)  # heavy-tailed noise
    pred = np.polyval(np.polyfit(x[:150], y[:150], 1), x[150:])
    truth = y[150:]
    print("regression, 50 held-out points")
    losses = [anyloss.get("mse"), anyloss.get("mae"), anyloss.get("huber", delta=1.0)]
    for loss in [*losses, anyloss.get("quantile", q=0.9)]:
        print(f"  {loss!r:38s} {float(loss(pred, truth)):9.5f}")
    try:
        from sklearn.metrics import mean_absolute_error, mean_squared_error
    except ImportError:
        return
    mse, mae = mean_squared_error(truth, pred), mean_absolute_error(truth, pred)
    print(f"  scikit-learn: mse {mse:.5f}, mae {mae:.5f}")


def classification(rng: np.random.Generator) -> None:
    logits = rng.standard_normal((8, 4)) * 2
    labels = rng.integers(0, 4, 8)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    print("classification, 8 samples, 4 classes")
    one_hot = np.eye(4)[labels]
    values = {
        "cross_entropy(logits, labels)": anyloss.cross_entropy(logits, labels),
        "nll(log(probs), labels)": anyloss.nll(np.log(probs), labels),
        "categorical_cross_entropy(probs, one_hot)": anyloss.categorical_cross_entropy(
            probs, one_hot
        ),
    }
    for call, value in values.items():
        print(f"  {call:42s} {float(value):.5f}")
    per_sample = anyloss.cross_entropy(logits, labels, reduction="none")
    worst = np.argsort(per_sample)[::-1][:3]
    print(f"  worst samples {worst.tolist()} with losses {np.round(per_sample[worst], 3).tolist()}")


if __name__ == "__main__":
    generator = np.random.default_rng(0)
    regression(generator)
    classification(generator)
