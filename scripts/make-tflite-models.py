#!/usr/bin/env python3
"""Prepare real TFLite models with LiteRT's outputs on real photographs.

  .venv/bin/python scripts/make-tflite-models.py [OUTDIR]        (default: build/tflite-models)

Models: MediaPipe's face detector (BlazeFace, short range), face landmarker and hand landmarker (lite), as shipped in
the mediapipe wheel on PyPI (downloaded once, pinned; float16 weights behind DEQUANTIZE). Inputs: scikit-image's
photograph of an astronaut (skimage.data.astronaut()), resized to each model's input and scaled as MediaPipe does.
Outputs: LiteRT's interpreter (ai-edge-litert, from the frameworks venv that scripts/setup-frameworks makes).
With the venv of scripts/setup-frameworks --with-onnx2tf (TensorFlow) also an int8-quantized MobileNetV3-Small
(scripts/make-int8-tflite.py), calibrated on scikit-image's photographs and fed its cat.

For each model NAME it writes OUTDIR/NAME.tflite, NAME.in.f32 (NHWC), NAME.outK.f32 and OUTDIR/manifest.json.
A stamp keyed on this script and the package versions skips the work when nothing changed.
"""
import hashlib
import json
import os
import subprocess
import sys
import zipfile

import numpy as np

MEDIAPIPE = "mediapipe==0.10.21"
WHEEL = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
MODELS = {
    # name: (member of the wheel, input size, pixel scaling (scale, offset): x * scale + offset)
    "blazeface": ("mediapipe/modules/face_detection/face_detection_short_range.tflite", 128, (1 / 127.5, -1.0)),
    "face_landmark": ("mediapipe/modules/face_landmark/face_landmark.tflite", 192, (1 / 255, 0.0)),
    "hand_landmark_lite": ("mediapipe/modules/hand_landmark/hand_landmark_lite.tflite", 224, (1 / 255, 0.0)),
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAMEWORKS_PYTHON = os.path.join(ROOT, ".venv-frameworks", "bin", "python")
ONNX2TF_PYTHON = os.path.join(ROOT, ".venv-onnx2tf", "bin", "python")

LITERT_RUN = r"""
import json, sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter
model, inp, out_prefix = sys.argv[1:4]
it = Interpreter(model_path=model, num_threads=1)
it.allocate_tensors()
d = it.get_input_details()[0]
it.set_tensor(d["index"], np.fromfile(inp, dtype=np.float32).reshape(d["shape"]))
it.invoke()
shapes = []
for k, o in enumerate(it.get_output_details()):
    y = it.get_tensor(o["index"]).astype(np.float32)
    y.tofile(f"{out_prefix}.out{k}.f32")
    shapes.append(list(y.shape))
print(json.dumps(shapes))
"""


def photo(size, scaling):
    from skimage import data
    from skimage.transform import resize
    img = data.astronaut()[:400, 50:450]  # the astronaut's head and shoulders, square
    x = resize(img, (size, size), order=1, anti_aliasing=True, preserve_range=True).astype(np.float32)
    return (x * scaling[0] + scaling[1])[None].astype(np.float32)  # NHWC


def int8_models(outdir):
    """An int8-quantized MobileNetV3-Small written by TensorFlow's converter (scripts/make-int8-tflite.py, in the
    venv scripts/setup-frameworks --with-onnx2tf makes), calibrated on scikit-image's photographs; skipped without it."""
    if not os.path.exists(ONNX2TF_PYTHON):
        print("make-tflite-models: no .venv-onnx2tf; the int8 model is skipped (scripts/setup-frameworks --with-onnx2tf)")
        return []
    from skimage import data
    from skimage.transform import resize
    images = []
    for name in ["astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field"]:
        image = getattr(data, name)()[..., :3]
        images.append(resize(image, (224, 224), order=1, anti_aliasing=True) * 2 - 1)
    calibration = os.path.join(outdir, "calibration.npy")
    np.save(calibration, np.array(images, np.float32))
    path = os.path.join(outdir, "mobilenetv3_small_int8.tflite")
    subprocess.run([ONNX2TF_PYTHON, os.path.join(ROOT, "scripts", "make-int8-tflite.py"), calibration, path], check=True,
                   capture_output=True)
    x = np.array(images[1:2], np.float32)  # the cat (chelsea)
    x.tofile(os.path.join(outdir, "mobilenetv3_small_int8.in.f32"))
    result = subprocess.run([FRAMEWORKS_PYTHON, "-c", LITERT_RUN, path, os.path.join(outdir, "mobilenetv3_small_int8.in.f32"),
                             os.path.join(outdir, "mobilenetv3_small_int8")], capture_output=True, text=True, check=True)
    shapes = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"make-tflite-models: mobilenetv3_small_int8 {list(x.shape)} -> {shapes}")
    return [{"name": "mobilenetv3_small_int8", "model": path, "input_shape": list(x.shape), "output_shapes": shapes}]


def stamp_text():
    import skimage
    h = hashlib.sha256(open(__file__, "rb").read() + open(os.path.join(ROOT, "scripts", "make-int8-tflite.py"), "rb").read()).hexdigest()[:16]
    litert = subprocess.run([FRAMEWORKS_PYTHON, "-c", "import importlib.metadata as m; print(m.version('ai-edge-litert'))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    return f"{h} skimage {skimage.__version__} ai-edge-litert {litert} {MEDIAPIPE} onnx2tf venv {os.path.exists(ONNX2TF_PYTHON)}\n"


def main(argv):
    outdir = argv[0] if argv else "build/tflite-models"
    os.makedirs(outdir, exist_ok=True)
    if not os.path.exists(FRAMEWORKS_PYTHON):
        print("make-tflite-models: no frameworks venv; run scripts/setup-frameworks", file=sys.stderr)
        return 2
    stamp_path, manifest_path = os.path.join(outdir, ".stamp"), os.path.join(outdir, "manifest.json")
    stamp = stamp_text()
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp and os.path.exists(manifest_path):
        print(f"make-tflite-models: {outdir} is up to date")
        return 0
    wheels = os.path.join(outdir, "wheels")
    os.makedirs(wheels, exist_ok=True)
    wheel = os.path.join(wheels, WHEEL)
    if not os.path.exists(wheel):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64", MEDIAPIPE, "-d", wheels], check=True)
    entries = []
    with zipfile.ZipFile(wheel) as z:
        for name, (member, size, scaling) in MODELS.items():
            path = os.path.join(outdir, f"{name}.tflite")
            with open(path, "wb") as f:
                f.write(z.read(member))
            x = photo(size, scaling)
            x.tofile(os.path.join(outdir, f"{name}.in.f32"))
            result = subprocess.run([FRAMEWORKS_PYTHON, "-c", LITERT_RUN, path, os.path.join(outdir, f"{name}.in.f32"),
                                     os.path.join(outdir, name)], capture_output=True, text=True, check=True)
            shapes = json.loads(result.stdout.strip().splitlines()[-1])
            entries.append({"name": name, "model": path, "input_shape": list(x.shape), "output_shapes": shapes})
            print(f"make-tflite-models: {name} {list(x.shape)} -> {shapes}")
    entries += int8_models(outdir)
    with open(manifest_path, "w") as f:
        json.dump(entries, f, indent=1)
    with open(stamp_path, "w") as f:
        f.write(stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
