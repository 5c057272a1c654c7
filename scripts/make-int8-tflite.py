#!/usr/bin/env python3
"""Write an int8-quantized TFLite MobileNetV3-Small (Keras application, seeded weights; float input and output, int8
inside) with TensorFlow's converter, calibrated on the given photographs.

  .venv-onnx2tf/bin/python scripts/make-int8-tflite.py CALIBRATION.npy OUT.tflite

CALIBRATION.npy holds [N, 224, 224, 3] float32 images in [-1, 1]. Runs in the venv scripts/setup-frameworks
--with-onnx2tf makes (TensorFlow is not in the other venvs).
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

calibration, out = sys.argv[1:3]
tf.keras.utils.set_random_seed(1234)
model = tf.keras.applications.MobileNetV3Small(input_shape=(224, 224, 3), weights=None, include_preprocessing=False, classes=1000,
                                               classifier_activation=None)
images = np.load(calibration).astype(np.float32)
# Keras's default initialisation lets the signal vanish through the untrained network (logits ~1e-10): give each
# kernel He-normal weights, then set every BatchNormalization's statistics to those of its input on the photographs,
# so activations keep their scale as in a trained network.
rng = np.random.default_rng(1234)
for layer in model.layers:
    for w in layer.weights:
        if w.name.endswith("kernel") or "kernel" in w.path.split("/")[-1]:
            shape = w.shape
            fan_in = int(np.prod(shape[:-1])) if "depthwise" not in w.path else int(shape[0] * shape[1])
            w.assign(rng.normal(0, np.sqrt(2.0 / max(fan_in, 1)), shape).astype(np.float32))
for layer in model.layers:
    if isinstance(layer, tf.keras.layers.BatchNormalization):
        probe = tf.keras.Model(model.inputs, layer.input)
        values = probe(images, training=False).numpy()
        axes = tuple(range(values.ndim - 1))
        layer.moving_mean.assign(values.mean(axis=axes))
        layer.moving_variance.assign(values.var(axis=axes) + 1e-3)


def representative():
    for image in images:
        yield [image[None]]


converter = tf.lite.TFLiteConverter.from_keras_model(model)
converter.optimizations = [tf.lite.Optimize.DEFAULT]
converter.representative_dataset = representative
converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
with open(out, "wb") as f:
    f.write(converter.convert())
print(f"make-int8-tflite: wrote {out}")
