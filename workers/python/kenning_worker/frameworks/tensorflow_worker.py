"""TensorFlow (the optional .venv-tf, scripts/setup-frameworks --with-tensorflow): keras -> TFLite conversion
(targets default, float16 and int8 with calibration on the pipeline's dataset)."""
import os

import numpy as np

from . import package_version, scratch, write_file

NAME = "tensorflow"


def version():
    return package_version("tensorflow-cpu")


class Runtime:
    def __init__(self, params, io_spec, workdir):
        raise ValueError("the tensorflow worker only converts models; run them with TFLiteRuntime")


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    p = optimizer.get("parameters", {})
    if optimizer.get("type") != "TFLiteCompiler":
        raise ValueError(f"the tensorflow worker has no optimizer {optimizer.get('type')}")
    path = scratch(workdir, "model.keras" if model_bytes[:2] == b"PK" else "model.h5", model_bytes)
    model = tf.keras.models.load_model(path, compile=False)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    target = p.get("target", "default")
    if target == "float16":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    elif target == "int8":
        if not calibration:
            raise ValueError("target int8 needs calibration data (the pipeline's dataset)")
        samples = [s[i:i + 1] for batch in calibration for s in batch[:1] for i in range(s.shape[0])]

        def representative():     # the host already took dataset_percentage of the training split
            for s in samples:
                yield [s.astype(np.float32)]
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = representative
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    elif target == "edgetpu":
        raise ValueError("target edgetpu needs the Edge TPU compiler, which is not available")
    if p.get("use_tf_select_ops"):
        conv.target_spec.supported_ops = list(conv.target_spec.supported_ops) + [tf.lite.OpsSet.SELECT_TF_OPS]
    data = conv.convert()
    write_file(p["compiled_model_path"], data)
    return data
