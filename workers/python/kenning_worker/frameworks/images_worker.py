"""Image decoding for datasets (Pillow). MODEL is the preprocessing as JSON:
  {"size": [w, h] or null (the image's own), "mode": "RGB" | "L", "order": "RGB" | "BGR",
   "resize": "exact" | "shorter_side" | "letterbox", "ratio": r, "pad": v, "resample": "bilinear" | "bicubic"}
exact stretches the image to w × h; shorter_side scales it so it covers (w, h) / r and cuts the centre w × h out of it;
letterbox fits it inside w × h keeping its aspect ratio and fills the rest with the value v. Each DATA is one image
file's bytes (IO spec input uint8 [-1]); OUTPUT is the pixels, uint8 [1, h, w, channels]."""
import io
import json

import numpy as np

from . import package_version, timed

NAME = "pillow"


def version():
    return package_version("pillow")


def prepare(img, cfg):
    """`img` (a Pillow image) converted and brought to the configured size."""
    from PIL import Image

    img = img.convert(cfg.get("mode", "RGB"))
    if cfg.get("size") is None:
        return img
    w, h = cfg["size"]
    how = cfg.get("resize", "exact")
    resample = Image.BICUBIC if cfg.get("resample") == "bicubic" else Image.BILINEAR
    if how == "exact":
        return img.resize((w, h), resample)
    if how == "shorter_side":
        ratio = float(cfg.get("ratio", 1.0))
        scale = max(w / ratio / img.width, h / ratio / img.height)
        sw, sh = max(w, round(img.width * scale)), max(h, round(img.height * scale))
        img = img.resize((sw, sh), resample)
        left, top = (sw - w) // 2, (sh - h) // 2
        return img.crop((left, top, left + w, top + h))
    if how == "letterbox":
        scale = min(w / img.width, h / img.height)
        sw, sh = max(1, round(img.width * scale)), max(1, round(img.height * scale))
        pad = int(cfg.get("pad", 0))
        canvas = Image.new(img.mode, (w, h), pad if img.mode == "L" else (pad,) * len(img.getbands()))
        canvas.paste(img.resize((sw, sh), resample), ((w - sw) // 2, (h - sh) // 2))
        return canvas
    raise ValueError(f"unknown resize {how!r}")


class Runtime:
    def __init__(self, params, io_spec, workdir):
        self.params = params

    def load(self, model_bytes):
        self.cfg = json.loads(bytes(model_bytes).decode("utf-8"))

    def run(self, inputs):
        from PIL import Image

        def decode():
            try:
                img = Image.open(io.BytesIO(inputs[0].tobytes()))
                img.load()
            except Exception as e:
                raise ValueError(f"not an image Pillow can read ({type(e).__name__})") from None
            img = prepare(img, self.cfg)
            a = np.asarray(img, dtype=np.uint8)
            if a.ndim == 2:
                a = a[:, :, None]
            if self.cfg.get("order") == "BGR":
                a = a[:, :, ::-1]
            return np.ascontiguousarray(a)[None]
        out, seconds = timed(decode)
        return [out], seconds


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    raise ValueError("the images worker compiles nothing")
