"""ONNX Runtime: inference sessions and the quantizer (dynamic, static QDQ / QOperator)."""
import os
import sys

import numpy as np

from . import package_version, scratch, timed, write_file

NAME = "onnxruntime"

_LEVELS = {"disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC", "extended": "ORT_ENABLE_EXTENDED",
           "all": "ORT_ENABLE_ALL"}


def version():
    return package_version("onnxruntime")


class Runtime:
    def __init__(self, params, io_spec, workdir):
        self.params, self.io_spec, self.workdir = params, io_spec, workdir

    def load(self, model_bytes):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = int(self.params.get("intra_op_num_threads", 0) or 0)
        so.inter_op_num_threads = int(self.params.get("inter_op_num_threads", 0) or 0)
        so.graph_optimization_level = getattr(ort.GraphOptimizationLevel,
                                              _LEVELS[self.params.get("graph_optimization_level", "all")])
        so.log_severity_level = 3
        requested = self.params.get("execution_providers") or ["CPUExecutionProvider"]
        available = ort.get_available_providers()
        # As Kenning does, providers this build lacks are skipped and the CPU provider is the fallback; the session
        # reports what it really uses and what was skipped.
        providers = [p for p in requested if p in available] or ["CPUExecutionProvider"]
        missing = [p for p in requested if p not in available]
        self.session = ort.InferenceSession(model_bytes, so, providers=providers)
        self.names = [i.name for i in self.session.get_inputs()]
        self.details = {"execution_providers": self.session.get_providers()}
        if missing:
            warning = f"execution provider(s) {missing} are not available in this ONNX Runtime ({available}); using {self.session.get_providers()}"
            print(f"warning: {warning}", file=sys.stderr, flush=True)
            self.details["warnings"] = [warning]

    def run(self, inputs):
        feed = dict(zip(self.names, inputs))
        return timed(lambda: self.session.run(None, feed))


class _Reader:
    def __init__(self, names, samples):
        self.items = iter([dict(zip(names, s)) for s in samples])

    def get_next(self):
        return next(self.items, None)


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    p = optimizer.get("parameters", {})
    out = p["compiled_model_path"]
    src = scratch(workdir, "input.onnx", model_bytes)
    pre = os.path.join(workdir, "pre.onnx")
    try:
        quant_pre_process(src, pre, skip_symbolic_shape=False)
    except Exception:
        pre = src
    qtype = {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}
    dst = os.path.join(workdir, "quantized.onnx")
    mode = p.get("quantization", "static")
    reduce_range = p.get("reduce_range") is True   # the host decides "auto" from the CPU and sends a boolean
    if mode == "dynamic":
        quantize_dynamic(pre, dst, weight_type=qtype[p.get("weight_type", "int8")],
                         per_channel=bool(p.get("per_channel", False)), reduce_range=reduce_range)
    else:
        if not calibration:
            raise ValueError("static quantization needs calibration data (the pipeline's dataset)")
        names = [s["name"] for s in io_spec["input"]]
        samples = []
        for batch in calibration:   # one sample per calibration step
            n = batch[0].shape[0]
            for i in range(n):
                samples.append([np.ascontiguousarray(a[i:i + 1]) for a in batch])
        method = {"MinMax": CalibrationMethod.MinMax, "Entropy": CalibrationMethod.Entropy,
                  "Percentile": CalibrationMethod.Percentile}[p.get("calibration_method", "MinMax")]
        quantize_static(pre, dst, _Reader(names, samples),
                        quant_format=QuantFormat.QDQ if p.get("quant_format", "QDQ") == "QDQ" else QuantFormat.QOperator,
                        per_channel=bool(p.get("per_channel", False)),
                        weight_type=qtype[p.get("weight_type", "int8")],
                        activation_type=qtype[p.get("activation_type", "uint8")],
                        calibrate_method=method, reduce_range=reduce_range)
    data = open(dst, "rb").read()
    write_file(out, data)
    return data
