"""One module per framework. Each exposes NAME, version(), a Runtime class
(`Runtime(parameters, io_spec, workdir)`, `.load(model_bytes)`, `.run(inputs) -> (outputs, seconds)`, where
only the framework's own inference call is timed) and `compile(optimizer, model_bytes, io_spec, calibration, workdir)`
returning the compiled model's bytes after writing it at the optimizer's `compiled_model_path`."""
import os
import time
from importlib import metadata


def package_version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def timed(call):
    t0 = time.perf_counter_ns()
    result = call()
    return result, (time.perf_counter_ns() - t0) / 1e9


def write_file(path, data):
    """Atomic write of an artifact; creates the folder."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def scratch(workdir, name, data):
    path = os.path.join(workdir, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def fixed_input_shapes(io_spec, batch=1):
    """Input name -> concrete shape (unknown dims set to `batch`), for compilers that need static shapes."""
    return {s["name"]: [batch if d < 0 else d for d in s["shape"]] for s in io_spec.get("input", [])}


def fix_onnx_shapes(model, io_spec, batch=1):
    """Sets every graph input's unknown dims to concrete values (in place) and returns the model."""
    shapes = fixed_input_shapes(io_spec, batch)
    del model.graph.value_info[:]     # stale (symbolic) intermediate shapes would contradict the fixed ones
    for inp in model.graph.input:
        if inp.name in shapes:
            dims = inp.type.tensor_type.shape.dim
            for d, v in zip(dims, shapes[inp.name]):
                d.ClearField("dim_param")
                d.dim_value = v
    for out in model.graph.output:
        dims = out.type.tensor_type.shape.dim
        if dims and (dims[0].dim_param or dims[0].dim_value <= 0):
            dims[0].ClearField("dim_param")
            dims[0].dim_value = batch
    return model


def per_sample(run_one, inputs, compiled_batch=1):
    """Runs a model compiled for a static batch of 1 on a larger batch, one sample at a time; the reported time
    is the sum of the framework calls."""
    n = inputs[0].shape[0] if inputs and inputs[0].ndim else 1
    if n == compiled_batch:
        return run_one(inputs)
    import numpy as np
    outs, total = None, 0.0
    for i in range(n):
        o, s = run_one([np.ascontiguousarray(x[i:i + 1]) for x in inputs])
        total += s
        outs = [[a] for a in o] if outs is None else [acc + [a] for acc, a in zip(outs, o)]
    return [np.concatenate(parts, axis=0) for parts in outs], total


def to_layout(x, want):
    """The IO spec may describe an image input as NCHW (the ONNX model's view) while the compiled model takes NHWC
    (TFLite, or TVM/OpenVINO built from TFLite): transpose when only that permutation makes the shapes agree."""
    if x.ndim != 4 or len(want) != 4:
        return x
    fits = lambda s: all(w in (-1, None) or w == d for w, d in zip(want[1:], s[1:]))
    if fits(x.shape):
        return x
    nhwc = (x.shape[0], x.shape[2], x.shape[3], x.shape[1])
    if fits(nhwc):
        import numpy as np
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    return x
