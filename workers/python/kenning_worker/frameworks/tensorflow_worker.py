"""TensorFlow (.venv-tf, else .venv-onnx2tf): keras -> TFLite conversion (targets default, float16 and int8 with
calibration on the pipeline's dataset), and keras or TFLite -> ONNX with tf2onnx (ONNXCompiler)."""
import os

import numpy as np

from . import package_version, scratch, write_file

NAME = "tensorflow"


def version():
    v = package_version("tensorflow-cpu")
    return v if v != "unknown" else package_version("tensorflow")


class Runtime:
    def __init__(self, params, io_spec, workdir):
        raise ValueError("the tensorflow worker only converts models; run them with TFLiteRuntime")


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    p = optimizer.get("parameters", {})
    if optimizer.get("type") == "ONNXCompiler":
        return to_onnx(model_bytes, io_spec, workdir, p)
    if optimizer.get("type") != "TFLiteCompiler":
        raise ValueError(f"the tensorflow worker has no optimizer {optimizer.get('type')}")
    model = _load_keras(model_bytes, workdir)
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


def _load_keras(model_bytes, workdir):
    import tensorflow as tf
    path = scratch(workdir, "model.keras" if model_bytes[:2] == b"PK" else "model.h5", model_bytes)
    return tf.keras.models.load_model(path, compile=False)


def _rename(graph, old, new):
    if old == new:
        return
    for node in graph.node:
        node.input[:] = [new if x == old else x for x in node.input]
        node.output[:] = [new if x == old else x for x in node.output]
    for v in list(graph.input) + list(graph.output):
        if v.name == old:
            v.name = new


def to_onnx(model_bytes, io_spec, workdir, p):
    """keras (through a traced function, which Keras 3 models need) or TFLite -> ONNX with tf2onnx; the graph's inputs
    and outputs take the IO spec's names. With the extension parameter "static_batch", unknown dimensions become 1, so
    shape computations fold to constants (TVM's importer needs constant Reshape shapes). Writes compiled_model_path when
    given and returns the bytes."""
    import tensorflow as tf
    import tf2onnx
    opset = int(p.get("opset", 13) or 13)
    static = p.get("static_batch") is True
    inputs, outputs = io_spec.get("input", []), io_spec.get("output", [])
    if bytes(model_bytes[4:8]) == b"TFL3":
        path = scratch(workdir, "model.tflite", model_bytes)
        override = None
        if static:
            details = tf.lite.Interpreter(model_path=path).get_input_details()
            override = {d["name"]: [1 if x < 0 else int(x) for x in d["shape_signature"]] for d in details}
        proto, _ = tf2onnx.convert.from_tflite(path, opset=opset, shape_override=override)
    else:
        model = _load_keras(model_bytes, workdir)
        dims = lambda s: [(1 if static else None) if d is None or d < 0 else d for d in s]
        specs = [tf.TensorSpec(dims(s["shape"]) if s.get("shape") else dims(t.shape), t.dtype, name=s.get("name", t.name.split(":")[0]))
                 for s, t in zip(inputs or [{}] * len(model.inputs), model.inputs)]
        names = [o.get("name") for o in outputs] or [f"output_{i}" for i in range(len(model.outputs))]

        @tf.function(input_signature=specs)
        def call(*xs):
            y = model(list(xs) if len(xs) > 1 else xs[0], training=False)
            ys = list(y) if isinstance(y, (list, tuple)) else [y]
            return {n: t for n, t in zip(names, ys)}
        proto, _ = tf2onnx.convert.from_function(call, input_signature=specs, opset=opset)
    if static:
        # Fold what the fixed shapes made constant (tf2onnx leaves Shape → Slice → Concat chains before Reshape).
        from onnxsim import simplify
        simplified, ok = simplify(proto)
        if ok:
            proto = simplified
    for v, s in zip(list(proto.graph.input), inputs):
        _rename(proto.graph, v.name, s["name"])
    for v, s in zip(list(proto.graph.output), outputs):
        _rename(proto.graph, v.name, s["name"])
    data = proto.SerializeToString()
    if p.get("compiled_model_path"):
        write_file(p["compiled_model_path"], data)
    return data
