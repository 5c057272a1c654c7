"""TensorFlow Lite through LiteRT (ai-edge-litert): the interpreter runtime and the compiler for ONNX input
(through onnx_to_tflite; keras input goes to the tensorflow worker)."""
import numpy as np

from . import package_version, timed, to_layout, write_file

NAME = "tflite"


def version():
    return package_version("ai-edge-litert")


class Runtime:
    def __init__(self, params, io_spec, workdir):
        self.params, self.io_spec, self.workdir = params, io_spec, workdir

    def load(self, model_bytes):
        from ai_edge_litert import interpreter as lite
        delegates = [lite.load_delegate(p) for p in (self.params.get("delegates_list") or [])]
        resolver = (lite.OpResolverType.AUTO if self.params.get("use_xnnpack", True)
                    else lite.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        self.it = lite.Interpreter(model_content=bytes(model_bytes), num_threads=int(self.params.get("num_threads", 4)),
                                   experimental_delegates=delegates or None, experimental_op_resolver_type=resolver)
        self.it.allocate_tensors()
        self.inputs = self.it.get_input_details()
        self.outputs = self.it.get_output_details()

    def _prepare(self, i, x):
        want = list(self.inputs[i]["shape"])
        x = to_layout(x, want)      # the IO spec may be NCHW (the ONNX model's) while the TFLite model is NHWC
        if x.shape[0] != want[0]:
            self.it.resize_tensor_input(self.inputs[i]["index"], [x.shape[0]] + want[1:])
            self.it.allocate_tensors()
            self.inputs = self.it.get_input_details()
            self.outputs = self.it.get_output_details()
        return np.ascontiguousarray(x.astype(self.inputs[i]["dtype"], copy=False))

    def run(self, inputs):
        for i, x in enumerate(inputs):
            self.it.set_tensor(self.inputs[i]["index"], self._prepare(i, x))
        _, seconds = timed(self.it.invoke)
        return [self.it.get_tensor(o["index"]).copy() for o in self.outputs], seconds


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    p = optimizer.get("parameters", {})
    if p.get("target", "default") != "default":
        raise ValueError(f"target {p.get('target')!r} needs TensorFlow's converter (keras input models); for ONNX input use \"default\"")
    if model_bytes[4:8] == b"TFL3":
        data = bytes(model_bytes)
    else:
        from .onnx_to_tflite import convert
        data = convert(model_bytes)
    write_file(p["compiled_model_path"], data)
    return data
