"""Fit a Keras 3 model with an anyloss loss, then save and reload it (JAX backend by default).

``anyloss.keras`` holds one ``keras.losses.Loss`` per anyloss loss: it takes Keras's
``(y_true, y_pred)`` order, casts integer class labels (which Keras hands over as floats)
back to integers, and is registered for ``model.save`` / ``keras.models.load_model``.

    KERAS_BACKEND=jax python examples/keras_fit.py
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np

import anyloss.keras

CLASSES = 3


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    labels = rng.integers(0, CLASSES, 600)
    x = centres[labels] + 1.2 * rng.standard_normal((600, 2))
    return x.astype("float32"), labels


def main(epochs: int = 5) -> float:
    keras.utils.set_random_seed(0)
    x, y = make_data()
    model = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(CLASSES)]
    )
    loss = anyloss.keras.CrossEntropyLoss(label_smoothing=0.05)  # integer labels
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss=loss, metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=64, verbose=0)
    for epoch, (value, acc) in enumerate(
        zip(history.history["loss"], history.history["accuracy"], strict=True), 1
    ):
        print(f"epoch {epoch}  loss {value:.4f}  accuracy {acc:.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        again = keras.models.load_model(path)
    print(f"reloaded loss: {again.loss!r}")
    print(f"backend: {keras.backend.backend()}")
    return float(history.history["accuracy"][-1])


if __name__ == "__main__":
    main()
