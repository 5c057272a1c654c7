"""Image decoding for datasets (Pillow): MODEL is JSON {"size": [w, h], "mode": "RGB"}; each DATA is one image
file's bytes (IO spec input uint8 [-1]); OUTPUT is the decoded, resized pixels, uint8 [1, h, w, channels]."""
import io
import json

import numpy as np

from . import package_version, timed

NAME = "pillow"


def version():
    return package_version("pillow")


class Runtime:
    def __init__(self, params, io_spec, workdir):
        self.params = params

    def load(self, model_bytes):
        cfg = json.loads(bytes(model_bytes).decode("utf-8"))
        self.size = tuple(cfg.get("size", [224, 224]))
        self.mode = cfg.get("mode", "RGB")

    def run(self, inputs):
        from PIL import Image

        def decode():
            img = Image.open(io.BytesIO(inputs[0].tobytes()))
            img = img.convert(self.mode).resize(self.size, Image.BILINEAR)
            a = np.asarray(img, dtype=np.uint8)
            return a.reshape((1,) + a.shape[:2] + ((a.shape[2],) if a.ndim == 3 else (1,)))
        out, seconds = timed(decode)
        return [out], seconds


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    raise ValueError("the images worker compiles nothing")
