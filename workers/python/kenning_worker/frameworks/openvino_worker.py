"""OpenVINO: ONNX/TFLite -> IR (xml + bin) compiler and the CPU runtime.

An IR travels as one byte string: b"KNVX", uint32 LE length of the xml, the xml, then the bin."""
import os
import struct

from . import package_version, scratch, timed, to_layout, write_file

NAME = "openvino"
MAGIC = b"KNVX"


def version():
    return package_version("openvino")


def pack(xml, bin_):
    return MAGIC + struct.pack("<I", len(xml)) + xml + bin_


def unpack(data):
    n = struct.unpack("<I", data[4:8])[0]
    return data[8:8 + n], data[8 + n:]


class Runtime:
    def __init__(self, params, io_spec, workdir):
        self.params, self.io_spec, self.workdir = params, io_spec, workdir

    def load(self, model_bytes):
        import openvino as ov
        core = ov.Core()
        if model_bytes[:4] == MAGIC:
            xml, bin_ = unpack(model_bytes)
            path = scratch(self.workdir, "model.xml", xml)
            scratch(self.workdir, "model.bin", bin_)
        elif model_bytes[4:8] == b"TFL3":
            path = scratch(self.workdir, "model.tflite", model_bytes)
        else:
            path = scratch(self.workdir, "model.onnx", model_bytes)
        model = core.read_model(path)
        config = {}
        hint = self.params.get("performance_hint", "LATENCY")
        if hint != "none":
            config["PERFORMANCE_HINT"] = hint
        threads = int(self.params.get("num_threads", 0) or 0)
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        precision = self.params.get("inference_precision", "f32")
        if precision != "default":
            config["INFERENCE_PRECISION_HINT"] = precision
        self.compiled = core.compile_model(model, self.params.get("device", "CPU"), config)
        self.request = self.compiled.create_infer_request()
        self.outputs = list(self.compiled.outputs)
        self.shapes = [[d.get_length() if d.is_static else -1 for d in i.get_partial_shape()] for i in self.compiled.inputs]

    def run(self, inputs):
        feed = {i: to_layout(x, self.shapes[i]) for i, x in enumerate(inputs)}
        result, seconds = timed(lambda: self.request.infer(feed))
        return [result[o] for o in self.outputs], seconds


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    import openvino as ov
    p = optimizer.get("parameters", {})
    out = p["compiled_model_path"]
    src = scratch(workdir, "input.tflite" if model_bytes[4:8] == b"TFL3" else "input.onnx", model_bytes)
    model = ov.convert_model(src)
    xml_path = os.path.join(workdir, "ir.xml")
    ov.save_model(model, xml_path, compress_to_fp16=p.get("precision", "FP32") == "FP16")
    xml = open(xml_path, "rb").read()
    bin_ = open(xml_path[:-4] + ".bin", "rb").read()
    # compiled_model_path gets the one-file bundle; the plain IR goes beside it for OpenVINO's own tools.
    write_file(out + ".ir.xml", xml)
    write_file(out + ".ir.bin", bin_)
    bundle = pack(xml, bin_)
    write_file(out, bundle)
    return bundle
