#!/usr/bin/env python3
"""Train a small CNN on the digits data with numpy only and export it to ONNX.

  .venv/bin/python scripts/train-digits-cnn.py [--epochs E] [--lr LR] [--batch B] [--weight-decay WD] [--seed S]

Reads data/digits/digits.bin, trains on the TRAIN part of the stratified split
(scripts/digits_split.py, seed 1234, test fraction 0.2), exports
models/digits-cnn.onnx, verifies it with onnx.checker and onnxruntime on the TEST
part, and writes models/digits-cnn.json with the measured test accuracy.

Network (NCHW, input x = pixel / 16.0 as float32, shape [N,1,8,8]):
  conv1 Conv(1->16, 3x3, pad 1) -> bn1 -> relu1 -> pool1 MaxPool 2x2
  conv2 Conv(16->32, 3x3, pad 1) -> bn2 -> relu2 -> pool2 MaxPool 2x2
  flatten -> fc Gemm(128->10) -> softmax
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import digits_split  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "digits" / "digits.bin"
MODEL = REPO / "models" / "digits-cnn.onnx"
SIDECAR = REPO / "models" / "digits-cnn.json"

SPLIT_SEED = 1234
SPLIT_TEST_FRACTION = 0.2
BN_EPS = 1e-5
BN_MOMENTUM = 0.1  # running = (1 - m) * running + m * batch
MIN_TEST_ACCURACY = 0.975
F32 = np.float32


# ----------------------------------------------------------------------------
# data


def load_digits_bin(path):
    raw = np.frombuffer(pathlib.Path(path).read_bytes(), dtype=np.uint8)
    if raw.size % 65 != 0:
        raise ValueError(f"{path}: size {raw.size} is not a multiple of 65")
    rec = raw.reshape(-1, 65)
    labels = rec[:, 0].astype(np.int64)
    x = (rec[:, 1:].astype(F32) / F32(16.0)).reshape(-1, 1, 8, 8)
    return x, labels


# ----------------------------------------------------------------------------
# layers (forward returns output and a cache for backward)


def conv3x3_forward(x, w, b):
    """3x3 convolution, stride 1, zero padding 1, via im2col. x: (N,C,H,W), w: (F,C,3,3)."""
    n, c, h, wd = x.shape
    f = w.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # (N,C,H,W,3,3)
    cols = np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(n * h * wd, c * 9)
    out = cols @ w.reshape(f, c * 9).T + b  # (N*H*W, F)
    out = out.reshape(n, h, wd, f).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out), (x.shape, cols, w)


def conv3x3_backward(dout, cache, need_dx=True):
    (n, c, h, wd), cols, w = cache
    f = w.shape[0]
    d = dout.transpose(0, 2, 3, 1).reshape(n * h * wd, f)
    dw = (d.T @ cols).reshape(w.shape)
    db = d.sum(axis=0)
    if not need_dx:
        return None, dw, db
    dcols = (d @ w.reshape(f, c * 9)).reshape(n, h, wd, c, 3, 3)
    dxp = np.zeros((n, c, h + 2, wd + 2), dtype=dout.dtype)
    for ki in range(3):
        for kj in range(3):
            dxp[:, :, ki:ki + h, kj:kj + wd] += dcols[:, :, :, :, ki, kj].transpose(0, 3, 1, 2)
    return dxp[:, :, 1:-1, 1:-1], dw, db


def bn_forward_train(x, gamma, beta, state):
    """Batch norm over (N,H,W) per channel with batch statistics; updates running stats."""
    m = x.shape[0] * x.shape[2] * x.shape[3]
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    inv = 1.0 / np.sqrt(var + BN_EPS)
    xhat = (x - mean[None, :, None, None]) * inv[None, :, None, None]
    out = gamma[None, :, None, None] * xhat + beta[None, :, None, None]
    state["mean"] = ((1 - BN_MOMENTUM) * state["mean"] + BN_MOMENTUM * mean).astype(F32)
    unbiased = var * (m / max(m - 1, 1))
    state["var"] = ((1 - BN_MOMENTUM) * state["var"] + BN_MOMENTUM * unbiased).astype(F32)
    return out, (xhat, inv, gamma)


def bn_backward(dout, cache):
    xhat, inv, gamma = cache
    m = dout.shape[0] * dout.shape[2] * dout.shape[3]
    dgamma = (dout * xhat).sum(axis=(0, 2, 3))
    dbeta = dout.sum(axis=(0, 2, 3))
    dxhat = dout * gamma[None, :, None, None]
    dx = (inv[None, :, None, None] / m) * (
        m * dxhat
        - dxhat.sum(axis=(0, 2, 3))[None, :, None, None]
        - xhat * (dxhat * xhat).sum(axis=(0, 2, 3))[None, :, None, None]
    )
    return dx, dgamma, dbeta


def bn_forward_eval(x, gamma, beta, mean, var):
    inv = 1.0 / np.sqrt(var + F32(BN_EPS))
    return (x - mean[None, :, None, None]) * (gamma * inv)[None, :, None, None] + beta[None, :, None, None]


def maxpool2_forward(x):
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    arg = blocks.argmax(axis=-1)
    out = np.take_along_axis(blocks, arg[..., None], axis=-1)[..., 0]
    return out, (x.shape, arg)


def maxpool2_backward(dout, cache):
    (n, c, h, w), arg = cache
    dblocks = np.zeros((n, c, h // 2, w // 2, 4), dtype=dout.dtype)
    np.put_along_axis(dblocks, arg[..., None], dout[..., None], axis=-1)
    return dblocks.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------
# model


def init_params(rng):
    def uniform(shape, fan_in):
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, size=shape).astype(F32)

    def kaiming(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(F32)

    p = {
        "conv1.weight": kaiming((16, 1, 3, 3), 9),
        "conv1.bias": uniform((16,), 9),
        "bn1.scale": np.ones(16, F32),
        "bn1.bias": np.zeros(16, F32),
        "conv2.weight": kaiming((32, 16, 3, 3), 16 * 9),
        "conv2.bias": uniform((32,), 16 * 9),
        "bn2.scale": np.ones(32, F32),
        "bn2.bias": np.zeros(32, F32),
        "fc.weight": uniform((10, 128), 128),
        "fc.bias": uniform((10,), 128),
    }
    bn_state = {
        "bn1": {"mean": np.zeros(16, F32), "var": np.ones(16, F32)},
        "bn2": {"mean": np.zeros(32, F32), "var": np.ones(32, F32)},
    }
    return p, bn_state


def forward_train(p, bn_state, x):
    caches = {}
    h, caches["conv1"] = conv3x3_forward(x, p["conv1.weight"], p["conv1.bias"])
    h, caches["bn1"] = bn_forward_train(h, p["bn1.scale"], p["bn1.bias"], bn_state["bn1"])
    caches["relu1"] = h > 0
    h = h * caches["relu1"]
    h, caches["pool1"] = maxpool2_forward(h)
    h, caches["conv2"] = conv3x3_forward(h, p["conv2.weight"], p["conv2.bias"])
    h, caches["bn2"] = bn_forward_train(h, p["bn2.scale"], p["bn2.bias"], bn_state["bn2"])
    caches["relu2"] = h > 0
    h = h * caches["relu2"]
    h, caches["pool2"] = maxpool2_forward(h)
    caches["flat_shape"] = h.shape
    flat = h.reshape(h.shape[0], -1)
    caches["flat"] = flat
    logits = flat @ p["fc.weight"].T + p["fc.bias"]
    return logits, caches


def backward(p, caches, dlogits):
    g = {}
    g["fc.weight"] = dlogits.T @ caches["flat"]
    g["fc.bias"] = dlogits.sum(axis=0)
    dh = (dlogits @ p["fc.weight"]).reshape(caches["flat_shape"])
    dh = maxpool2_backward(dh, caches["pool2"])
    dh = dh * caches["relu2"]
    dh, g["bn2.scale"], g["bn2.bias"] = bn_backward(dh, caches["bn2"])
    dh, g["conv2.weight"], g["conv2.bias"] = conv3x3_backward(dh, caches["conv2"])
    dh = maxpool2_backward(dh, caches["pool1"])
    dh = dh * caches["relu1"]
    dh, g["bn1.scale"], g["bn1.bias"] = bn_backward(dh, caches["bn1"])
    _, g["conv1.weight"], g["conv1.bias"] = conv3x3_backward(dh, caches["conv1"], need_dx=False)
    return g


def forward_eval(p, bn_state, x):
    """Inference-mode forward pass (running statistics): the reference for the ONNX model."""
    h, _ = conv3x3_forward(x, p["conv1.weight"], p["conv1.bias"])
    h = bn_forward_eval(h, p["bn1.scale"], p["bn1.bias"], bn_state["bn1"]["mean"], bn_state["bn1"]["var"])
    h, _ = maxpool2_forward(np.maximum(h, 0))
    h, _ = conv3x3_forward(h, p["conv2.weight"], p["conv2.bias"])
    h = bn_forward_eval(h, p["bn2.scale"], p["bn2.bias"], bn_state["bn2"]["mean"], bn_state["bn2"]["var"])
    h, _ = maxpool2_forward(np.maximum(h, 0))
    logits = h.reshape(h.shape[0], -1) @ p["fc.weight"].T + p["fc.bias"]
    return softmax(logits)


class Adam:
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, params, grads, lr):
        self.t += 1
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        for k in params:
            g = grads[k]
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            update = lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)
            params[k] = (params[k] - update).astype(F32)


def train(x, y, epochs, lr, batch, seed, weight_decay=0.0, log=True):
    rng = np.random.default_rng(seed)
    params, bn_state = init_params(rng)
    opt = Adam(params, lr)
    n = x.shape[0]
    steps_per_epoch = (n + batch - 1) // batch
    total = epochs * steps_per_epoch
    step = 0
    for epoch in range(epochs):
        order = rng.permutation(n)
        loss_sum, correct = 0.0, 0
        for s in range(steps_per_epoch):
            idx = order[s * batch:(s + 1) * batch]
            if idx.size < 2:  # batch statistics need more than one sample
                continue
            xb, yb = x[idx], y[idx]
            logits, caches = forward_train(params, bn_state, xb)
            probs = softmax(logits)
            loss_sum += float(-np.log(probs[np.arange(idx.size), yb] + 1e-12).sum())
            correct += int((probs.argmax(axis=1) == yb).sum())
            dlogits = probs.copy()
            dlogits[np.arange(idx.size), yb] -= 1.0
            dlogits /= idx.size
            grads = backward(params, caches, dlogits.astype(F32))
            # cosine decay of the learning rate to 5% of its start value
            cur_lr = lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * step / total)))
            if weight_decay:
                for k in params:
                    if k.endswith("weight"):  # decoupled weight decay on conv/fc weights only
                        params[k] = (params[k] * (1 - cur_lr * weight_decay)).astype(F32)
            opt.step(params, grads, cur_lr)
            step += 1
        if log and (epoch == 0 or (epoch + 1) % 5 == 0 or epoch + 1 == epochs):
            print(f"epoch {epoch + 1:3d}/{epochs}: loss {loss_sum / n:.4f}  train acc {correct / n:.4f}")
    return params, bn_state


# ----------------------------------------------------------------------------
# ONNX export


def export_onnx(params, bn_state, path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = dict(params)
    inits["bn1.mean"] = bn_state["bn1"]["mean"]
    inits["bn1.var"] = bn_state["bn1"]["var"]
    inits["bn2.mean"] = bn_state["bn2"]["mean"]
    inits["bn2.var"] = bn_state["bn2"]["var"]
    order = [
        "conv1.weight", "conv1.bias", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var",
        "conv2.weight", "conv2.bias", "bn2.scale", "bn2.bias", "bn2.mean", "bn2.var",
        "fc.weight", "fc.bias",
    ]
    initializers = [numpy_helper.from_array(np.ascontiguousarray(inits[k], dtype=F32), name=k) for k in order]

    def conv(name, x, out):
        return helper.make_node(
            "Conv", [x, f"{name}.weight", f"{name}.bias"], [out], name=name,
            kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1,
        )

    def bn(name, x, out):
        return helper.make_node(
            "BatchNormalization",
            [x, f"{name}.scale", f"{name}.bias", f"{name}.mean", f"{name}.var"], [out],
            name=name, epsilon=BN_EPS, momentum=1.0 - BN_MOMENTUM,
        )

    def pool(name, x, out):
        return helper.make_node("MaxPool", [x], [out], name=name, kernel_shape=[2, 2], strides=[2, 2])

    nodes = [
        conv("conv1", "input", "conv1_out"),
        bn("bn1", "conv1_out", "bn1_out"),
        helper.make_node("Relu", ["bn1_out"], ["relu1_out"], name="relu1"),
        pool("pool1", "relu1_out", "pool1_out"),
        conv("conv2", "pool1_out", "conv2_out"),
        bn("bn2", "conv2_out", "bn2_out"),
        helper.make_node("Relu", ["bn2_out"], ["relu2_out"], name="relu2"),
        pool("pool2", "relu2_out", "pool2_out"),
        helper.make_node("Flatten", ["pool2_out"], ["flatten_out"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flatten_out", "fc.weight", "fc.bias"], ["logits"], name="fc",
                         alpha=1.0, beta=1.0, transA=0, transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "digits_cnn",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 8, 8])],
        outputs=[helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        initializer=initializers,
        doc_string="8x8 digit classifier; input = pixel/16 (0..1), NCHW [N,1,8,8]; output = class probabilities [N,10]",
    )
    model = helper.make_model(
        graph, producer_name="swift-kenning", producer_version="1",
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(model, str(path))
    onnx.checker.check_model(str(path), full_check=True)
    return model


def main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--lr", type=float, default=1e-2, help="Adam start learning rate (cosine decay)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--weight-decay", type=float, default=1e-2, help="decoupled, on conv/fc weights")
    ap.add_argument("--seed", type=int, default=1, help="numpy seed for init and shuffling")
    args = ap.parse_args(argv)

    x, y = load_digits_bin(DATA)
    train_idx, test_idx = digits_split.split(y.tolist(), SPLIT_TEST_FRACTION, SPLIT_SEED)
    print(f"data: {len(y)} records, train {len(train_idx)}, test {len(test_idx)}")

    t0 = time.perf_counter()
    params, bn_state = train(x[train_idx], y[train_idx], args.epochs, args.lr, args.batch, args.seed,
                             weight_decay=args.weight_decay)
    train_seconds = time.perf_counter() - t0
    print(f"training time: {train_seconds:.1f} s")

    x_test, y_test = x[test_idx], y[test_idx]
    ref = forward_eval(params, bn_state, x_test)
    print(f"numpy test accuracy: {(ref.argmax(axis=1) == y_test).mean():.4f}")

    export_onnx(params, bn_state, MODEL)

    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(MODEL), opts, providers=["CPUExecutionProvider"])
    probs = sess.run(["probabilities"], {"input": x_test})[0]
    acc = float((probs.argmax(axis=1) == y_test).mean())
    max_diff = float(np.abs(probs - ref).max())
    print(f"onnxruntime vs numpy max |diff|: {max_diff:.3g}")
    print(f"onnxruntime test accuracy: {acc:.4f} ({int(round(acc * len(y_test)))}/{len(y_test)})")
    print(f"wrote {MODEL.relative_to(REPO)} ({MODEL.stat().st_size} bytes)")

    sidecar = {
        "test_accuracy": round(acc, 6),
        "split_seed": SPLIT_SEED,
        "split_fraction_test": SPLIT_TEST_FRACTION,
        "input_scale": "pixel/16",
        "trained_by": "scripts/train-digits-cnn.py",
    }
    SIDECAR.write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {SIDECAR.relative_to(REPO)}")

    if max_diff > 1e-4:
        print("error: onnxruntime output differs from the numpy reference", file=sys.stderr)
        return 1
    if acc < MIN_TEST_ACCURACY:
        print(f"error: test accuracy {acc:.4f} is below {MIN_TEST_ACCURACY}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
