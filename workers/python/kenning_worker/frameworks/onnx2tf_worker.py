"""onnx2tf (the optional .venv-onnx2tf, scripts/setup-frameworks --with-onnx2tf): ONNX -> TFLite (float32) for the
models the tflite worker's own converter cannot translate. Image inputs stay NCHW, as the ONNX model declares them."""
import contextlib
import io
import os

from . import package_version, scratch, write_file

NAME = "onnx2tf"


def version():
    return package_version("onnx2tf")


class Runtime:
    def __init__(self, params, io_spec, workdir):
        raise ValueError("the onnx2tf worker only converts models; run them with TFLiteRuntime")


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import onnx
    import onnx2tf
    p = optimizer.get("parameters", {})
    if optimizer.get("type") != "TFLiteCompiler":
        raise ValueError(f"the onnx2tf worker has no optimizer {optimizer.get('type')}")
    if p.get("target", "default") != "default":
        raise ValueError(f"target {p.get('target')!r} needs TensorFlow's converter (keras input models); onnx2tf writes float32")
    model = onnx.load_from_string(bytes(model_bytes))
    # onnx2tf needs fixed input shapes: the IO specification's (the model wrapper's input_shape fills symbolic ones).
    shapes = {s["name"]: s["shape"] for s in io_spec.get("input", [])}
    initializers = {i.name for i in model.graph.initializer}
    keep_nchw = []
    for value in model.graph.input:
        if value.name in initializers:
            continue
        shape = shapes.get(value.name)
        dims = value.type.tensor_type.shape.dim
        if shape is None or len(shape) != len(dims) or any(d <= 0 for d in shape[1:]):
            raise ValueError(f"input {value.name} has symbolic dimensions {shape}; onnx2tf needs fixed ones "
                             "(give the model wrapper's input_shape)")
        for dim, size in zip(dims, [1] + list(shape[1:])):
            dim.Clear()
            dim.dim_value = size
        if 3 <= len(dims) <= 5:
            keep_nchw.append(value.name)
    for value in model.graph.output:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.Clear()
    del model.graph.value_info[:]
    source = scratch(workdir, "model.onnx", model.SerializeToString())
    folder = os.path.join(workdir, "onnx2tf")
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            onnx2tf.convert(input_onnx_file_path=source, output_folder_path=folder, non_verbose=True,
                            keep_ncw_or_nchw_or_ncdhw_input_names=keep_nchw or None, copy_onnx_input_output_names_to_tflite=True)
    except BaseException as e:  # onnx2tf exits through sys.exit on some failures
        tail = " ".join(log.getvalue().split()[-40:])
        raise ValueError(f"onnx2tf could not convert the model: {e!r} {tail}".strip()) from None
    path = os.path.join(folder, "model_float32.tflite")
    if not os.path.exists(path):
        raise ValueError("onnx2tf wrote no model_float32.tflite")
    data = open(path, "rb").read()
    write_file(p["compiled_model_path"], data)
    return data
