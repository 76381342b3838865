"""Fit a Keras 3 model with an anyloss loss (JAX backend by default).

Keras calls a loss as ``loss(y_true, y_pred)`` and averages what it returns per sample;
anyloss is ``loss(pred, target)``. A two-line function adapts the order and returns one
value per sample (``reduction="none"``), so Keras's own reduction and ``sample_weight``
apply. The targets are one-hot probabilities (Keras casts integer labels to float, which
anyloss would read as probabilities).

    KERAS_BACKEND=jax python examples/keras_fit.py
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np

import anyloss

CLASSES = 3


def cross_entropy(y_true: object, y_pred: object) -> object:
    """Keras's argument order in, anyloss's out: one value per sample."""
    return anyloss.cross_entropy(y_pred, y_true, label_smoothing=0.05, reduction="none")


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    labels = rng.integers(0, CLASSES, 600)
    x = centres[labels] + 1.2 * rng.standard_normal((600, 2))
    return x.astype("float32"), np.eye(CLASSES, dtype="float32")[labels]


def main(epochs: int = 5) -> float:
    keras.utils.set_random_seed(0)
    x, y = make_data()
    model = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(CLASSES)]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss=cross_entropy, metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=64, verbose=0)
    for epoch, (loss, acc) in enumerate(
        zip(history.history["loss"], history.history["accuracy"], strict=True), 1
    ):
        print(f"epoch {epoch}  loss {loss:.4f}  accuracy {acc:.3f}")
    print(f"backend: {keras.backend.backend()}")
    return float(history.history["accuracy"][-1])


if __name__ == "__main__":
    main()
