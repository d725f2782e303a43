"""Record what TensorFlow, TensorFlow Probability and Keras 2 compute for the behaviours the
released AdaProj code takes from them, so that the tests check asdbench against the libraries'
own output rather than a transcription of their source.

Run once in a scratch environment (not a dependency of asdbench):

    python3 -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.* \
        tensorflow-probability==0.25.* tf-keras==2.21.*
    /tmp/tf/bin/python scripts/record_tensorflow.py \
        packages/asdbench-core/tests/recorded/tensorflow.json

Inputs are small integers, so every recorded output is exact in float32.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras

PERCENTILE_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 18, 31, 32, 33, 62, 63, 64, 65]
#: (length, kernel, stride): the branches' 1-D and 2-D ``same`` convolutions, per axis.
CONV_CASES = [(71, 16, 4), (140, 3, 2), (561, 7, 2), (10, 3, 1), (40, 7, 2), (9, 7, 2), (8, 7, 2)]
#: (frames, window): the released code's time pooling (window 18) and an odd case.
POOL_CASES = [(20, 18), (5, 18), (37, 18), (7, 4)]


def integers(rng: np.random.Generator, shape: tuple[int, ...], low: int = -3, high: int = 4):
    return rng.integers(low, high, shape).astype(np.float32)


def percentiles() -> list[dict[str, object]]:
    rng = np.random.default_rng(0)
    rows = []
    for n in PERCENTILE_SIZES:
        values = (rng.permutation(n) + 1).astype(np.float32)  # 1..n in a random order
        median = tfp.stats.percentile(tf.constant(values), q=50.0)  # the code's call
        rows.append({"values": values.tolist(), "median": float(median)})
    return rows


def convolutions() -> list[dict[str, object]]:
    rng = np.random.default_rng(1)
    rows = []
    for length, kernel, stride in CONV_CASES:
        x, w = integers(rng, (length,)), integers(rng, (kernel,), -2, 3)
        out = tf.nn.conv1d(x[None, :, None], w[:, None, None], stride, "SAME")
        rows.append(
            {
                "length": length,
                "kernel": kernel,
                "stride": stride,
                "input": x.tolist(),
                "weights": w.tolist(),
                "output": out.numpy()[0, :, 0].tolist(),
            }
        )
    return rows


def poolings() -> list[dict[str, object]]:
    rng = np.random.default_rng(2)
    rows = []
    for frames, window in POOL_CASES:
        x = integers(rng, (frames, 3), -50, 50)  # [time, frequency]
        layer = tf_keras.layers.MaxPooling2D((window, 1), padding="same")  # the code's layer
        out = layer(x[None, :, :, None])
        rows.append(
            {
                "window": window,
                "input": x.tolist(),
                "output": out.numpy()[0, :, :, 0].tolist(),
            }
        )
    return rows


def batch_norms() -> list[dict[str, object]]:
    """One training step of Keras 2's BatchNormalization (momentum 0.99, epsilon 1e-3, as the
    code builds it) from fresh statistics: a dense input, a [B, C, L] input normalised over
    axis 1, and a 4-D convolutional input (the fused kernel)."""
    rng = np.random.default_rng(3)
    rows = []
    for shape, axis in (((6, 4), -1), ((5, 3, 4), 1), ((4, 3, 5, 2), -1)):
        x = integers(rng, shape)
        layer = tf_keras.layers.BatchNormalization(axis=axis, momentum=0.99, epsilon=1e-3)
        out = layer(x, training=True)
        rows.append(
            {
                "axis": axis,
                "input": x.tolist(),
                "output": out.numpy().tolist(),
                "moving_mean": layer.moving_mean.numpy().tolist(),
                "moving_variance": layer.moving_variance.numpy().tolist(),
            }
        )
    return rows


def main(path: str) -> None:
    record = {
        "versions": {
            "tensorflow": tf.__version__,
            "tensorflow_probability": tfp.__version__,
            "tf_keras": tf_keras.__version__,
        },
        "percentile_q50": percentiles(),
        "conv1d_same": convolutions(),
        "max_pooling_same": poolings(),
        "batch_norm_one_step": batch_norms(),
    }
    with open(path, "w") as file:
        json.dump(record, file)
        file.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
