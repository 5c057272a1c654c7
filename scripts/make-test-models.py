#!/usr/bin/env python3
"""Prepare the CNN test set and its ONNX Runtime reference outputs.

  .venv/bin/python scripts/make-test-models.py [OUTDIR]        (default: build/models)

Models: the ImageNet CNNs shipped as test data in the installed `onnx` package
(onnx/backend/test/data/light/light_*.onnx: AlexNet, DenseNet-121, Inception v1/v2, ResNet-50,
ShuffleNet, SqueezeNet, VGG-19, ZFNet-512, whichever exist) and MobileNetV2 (built by
scripts/make-mobilenetv2.py). The "light" models build every weight with ConstantOfShape (all 0.02),
which makes every class score equal; each such weight is replaced by a seeded random initializer
scaled for its role (He-normal for conv/gemm weights, BatchNorm statistics around identity), so the
logits carry information. The input of a final Softmax is added as the first graph output ("logits").

For each model NAME it writes OUTDIR/NAME.onnx, NAME.in.f32 (one random sample), NAME.out0.f32
(ONNX Runtime's first output = logits), and OUTDIR/manifest.json listing them with shapes.
A stamp keyed on this script, the onnx and onnxruntime versions skips the work when nothing changed.
"""
import glob
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def consumers(graph):
    uses = {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            uses.setdefault(name, []).append((node, i))
    return uses


def role_values(rng, shape, node, index, uses):
    """Random values for a constant of `shape` read by `node` at input `index`."""
    op = node.op_type
    if op == "Unsqueeze":  # a Caffe2 "Scale" layer: Unsqueeze feeds a Mul or an Add
        nxt = uses.get(node.output[0], [])
        if nxt:
            return role_values(rng, shape, nxt[0][0], nxt[0][1], uses)
    n = int(np.prod(shape)) if shape else 1
    if op == "Conv" and index == 1:
        fan_in = int(np.prod(shape[1:]))
        return rng.normal(0, np.sqrt(2.0 / fan_in), shape)
    if op == "Gemm" and index == 1:
        trans_b = any(a.name == "transB" and a.i == 1 for a in node.attribute)
        fan_in = shape[1] if trans_b else shape[0]
        return rng.normal(0, np.sqrt(1.0 / fan_in), shape)
    if op == "BatchNormalization":
        if index in (1, 4):
            return rng.uniform(0.5, 1.5, shape)
        return rng.normal(0, 0.1, shape)
    if op == "Mul":
        return rng.uniform(0.5, 1.5, shape)
    return rng.normal(0, 0.1, shape) if n > 0 else np.zeros(shape)


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    uses = consumers(g)
    keep = []
    for node in g.node:
        value = next((a.t for a in node.attribute if a.name == "value"), None)
        if node.op_type == "ConstantOfShape" and node.input[0] in inits and (value is None or value.data_type == TensorProto.FLOAT):
            shape = [int(d) for d in numpy_helper.to_array(inits[node.input[0]])]
            readers = uses.get(node.output[0], [])
            if readers:
                arr = role_values(rng, shape, readers[0][0], readers[0][1], uses).astype(np.float32)
                g.initializer.append(numpy_helper.from_array(arr, node.output[0]))
                continue
        keep.append(node)
    del g.node[:]
    g.node.extend(keep)
    # Shape tensors only ConstantOfShape read are now unused.
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    live = [t for t in g.initializer if t.name in used]
    dropped = {t.name for t in g.initializer} - {t.name for t in live}
    del g.initializer[:]
    g.initializer.extend(live)
    inputs = [i for i in g.input if i.name not in dropped]
    del g.input[:]
    g.input.extend(inputs)
    return model


def add_logits_output(model):
    g = model.graph
    out_names = [o.name for o in g.output]
    for node in g.node:
        if node.op_type == "Softmax" and node.output[0] in out_names:
            logits = helper.make_tensor_value_info(node.input[0], TensorProto.FLOAT, None)
            outputs = [logits] + list(g.output)
            del g.output[:]
            g.output.extend(outputs)
            break
    return model


def stamp_text(models):
    import onnxruntime
    h = hashlib.sha256()
    for path in [__file__, os.path.join(HERE, "make-mobilenetv2.py")]:
        h.update(open(path, "rb").read())
    h.update(f"{onnx.__version__} {onnxruntime.__version__} {sorted(models)}".encode())
    return h.hexdigest()[:16]


def main(argv):
    outdir = argv[0] if argv else "build/models"
    os.makedirs(outdir, exist_ok=True)
    light_dir = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
    light = sorted(glob.glob(os.path.join(light_dir, "light_*.onnx")))
    names = [os.path.basename(p)[len("light_"):-len(".onnx")] for p in light] + ["mobilenetv2"]
    stamp_path = os.path.join(outdir, ".stamp")
    stamp = stamp_text(names)
    manifest_path = os.path.join(outdir, "manifest.json")
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp and os.path.exists(manifest_path):
        print(f"make-test-models: {outdir} is up to date")
        return 0

    import onnxruntime as ort

    subprocess.run([sys.executable, os.path.join(HERE, "make-mobilenetv2.py"), os.path.join(outdir, "mobilenetv2.onnx")],
                   check=True, stdout=subprocess.DEVNULL)
    entries = []
    for seed, (name, source) in enumerate(zip(names, light + [os.path.join(outdir, "mobilenetv2.onnx")])):
        model = onnx.load(source)
        if source in light:
            model = add_logits_output(randomize(model, seed + 1))
        path = os.path.join(outdir, f"{name}.onnx")
        onnx.save(model, path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        shape = [d if isinstance(d, int) else 1 for d in inp.shape]
        x = np.random.default_rng(1000 + seed).normal(0, 1, shape).astype(np.float32)
        y = sess.run(None, {inp.name: x})[0].astype(np.float32)
        x.tofile(os.path.join(outdir, f"{name}.in.f32"))
        y.tofile(os.path.join(outdir, f"{name}.out0.f32"))
        entries.append({"name": name, "model": path, "input_shape": shape, "output_shape": list(y.shape),
                        "source": os.path.basename(source)})
        print(f"make-test-models: {name} {shape} -> {list(y.shape)} (|logits| max {float(np.abs(y).max()):.3g})")
    with open(manifest_path, "w") as f:
        json.dump(entries, f, indent=1)
    with open(stamp_path, "w") as f:
        f.write(stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
