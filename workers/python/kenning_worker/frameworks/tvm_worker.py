"""Apache TVM (0.27, Relax only): ONNX -> compiled library (.so) and the Relax VM runtime."""
import os

from . import fix_onnx_shapes, package_version, per_sample, scratch, timed, write_file

NAME = "tvm"


def version():
    return package_version("apache-tvm")


def _target(text, attrs):
    """Kenning-style target strings ("llvm -mcpu=znver3") as the dict form TVM 0.27 requires."""
    words = (text + " " + (attrs or "")).split()
    target = {"kind": words[0] if words else "llvm"}
    for w in words[1:]:
        if not w.startswith("-"):
            raise ValueError(f"cannot read target option {w!r}; write options as -key=value")
        key, _, value = w.lstrip("-").partition("=")
        if key == "device":
            raise ValueError("target option -device is not supported by TVM 0.27's dict targets")
        target[key] = value if value else True
    if "num-cores" in target:
        target["num-cores"] = int(target["num-cores"])
    return target


_loads = 0


class Runtime:
    def __init__(self, params, io_spec, workdir):
        self.params, self.io_spec, self.workdir = params, io_spec, workdir
        threads = int(params.get("num_threads", 0) or 0)
        if threads:
            os.environ["TVM_NUM_THREADS"] = str(threads)

    def load(self, model_bytes):
        import tvm
        from tvm import relax
        # A new file name per load: the dynamic loader caches libraries by path, so a pooled worker loading its next
        # model from the same path would get the previous one's code.
        global _loads
        _loads += 1
        path = scratch(self.workdir, f"model-{_loads}.so", model_bytes)
        kind = self.params.get("target_device_context", "cpu")
        self.device = tvm.device(kind, int(self.params.get("target_device_context_id", 0)))
        self.vm = relax.VirtualMachine(tvm.runtime.load_module(path), self.device)
        self.main = self.vm["main"]
        self.nhwc = False
        self.tvm = tvm

    def run(self, inputs):
        return per_sample(self._one, inputs)

    def _one(self, inputs):
        if self.nhwc:
            inputs = [x.transpose(0, 2, 3, 1).copy() if x.ndim == 4 else x for x in inputs]
        args = [self.tvm.runtime.tensor(x, self.device) for x in inputs]
        try:
            result, seconds = timed(lambda: self.main(*args))
        except Exception:
            # A library built from a TFLite model takes NHWC images while the IO spec may say NCHW: retry once.
            if self.nhwc or not any(x.ndim == 4 for x in inputs):
                raise
            self.nhwc = True
            return self._one(inputs)
        outs = list(result) if isinstance(result, (list, tuple)) or type(result).__name__ == "Array" else [result]
        return [o.numpy() for o in outs], seconds


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    import onnx
    import tvm
    from tvm import relax
    from tvm.relax.frontend.onnx import from_onnx
    p = optimizer.get("parameters", {})
    out = p["compiled_model_path"]
    if model_bytes[4:8] == b"TFL3":
        mod = _from_tflite(model_bytes)
    else:
        model = fix_onnx_shapes(onnx.load_from_string(model_bytes), io_spec, 1)
        mod = from_onnx(model, keep_params_in_input=False)
    layout = p.get("conv2d_data_layout") or ""
    target = tvm.target.Target(_target(p.get("target", "llvm"), p.get("target_attrs", "")))
    with tvm.transform.PassContext(opt_level=int(p.get("opt_level", 3))):
        if layout:
            kernel = p.get("conv2d_kernel_layout") or ("OHWI" if layout == "NHWC" else "OIHW")
            mod = relax.transform.ConvertLayout({"relax.nn.conv2d": [layout, kernel]})(mod)
        ex = tvm.compile(mod, target=target)
    lib = os.path.join(workdir, "model.so")
    ex.export_library(lib)
    data = open(lib, "rb").read()
    write_file(out, data)
    return data


def _from_tflite(model_bytes):
    """TFLite flatbuffer -> Relax module (batch fixed to 1; inputs as the TFLite model declares them, NHWC)."""
    import tflite
    from tvm.relax.frontend.tflite import from_tflite
    m = tflite.Model.GetRootAsModel(model_bytes, 0)
    g = m.Subgraphs(0)
    shapes, dtypes = {}, {}
    names = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 9: "int8"}
    for i in range(g.InputsLength()):
        t = g.Tensors(g.Inputs(i))
        name = t.Name().decode()
        shape = [int(d) for d in t.ShapeAsNumpy()]
        shapes[name] = tuple([1] + shape[1:])
        dtypes[name] = names.get(t.Type(), "float32")
    return from_tflite(m, shape_dict=shapes, dtype_dict=dtypes)
