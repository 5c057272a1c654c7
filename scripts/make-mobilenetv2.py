#!/usr/bin/env python3
"""Build a MobileNetV2 (ImageNet layout, 224x224, 1000 classes) as ONNX with random weights.

  .venv/bin/python scripts/make-mobilenetv2.py [OUTPUT.onnx]     (default: build/models/mobilenetv2.onnx)

The graph is what exporters produce for MobileNetV2: Conv + BatchNormalization + Clip(0, 6) (ReLU6),
inverted residual blocks with depthwise 3x3 convolutions and residual Add, then GlobalAveragePool,
Flatten and Gemm. Opset 13. Weights are seeded He-normal, BatchNorm statistics random, so the output
is deterministic. Input "input" [1,3,224,224], output "logits" [1,1000].
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# (expansion t, output channels c, repeats n, first stride s), as in the MobileNetV2 paper.
BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class Builder:
    def __init__(self, seed=20240607):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.count = 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, base, array):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), n))
        return n

    def conv_bn(self, x, cin, cout, k, stride, groups, relu6):
        w = self.rng.normal(0, np.sqrt(2.0 / (cin // groups * k * k)), (cout, cin // groups, k, k))
        conv = self.name("conv")
        self.nodes.append(helper.make_node(
            "Conv", [x, self.const("w", w)], [conv], name=conv, kernel_shape=[k, k], strides=[stride, stride],
            pads=[k // 2] * 4, group=groups))
        bn = self.name("bn")
        self.nodes.append(helper.make_node(
            "BatchNormalization",
            [conv, self.const("gamma", self.rng.uniform(0.5, 1.5, cout)), self.const("beta", self.rng.normal(0, 0.1, cout)),
             self.const("mean", self.rng.normal(0, 0.1, cout)), self.const("var", self.rng.uniform(0.5, 1.5, cout))],
            [bn], name=bn, epsilon=1e-5))
        if not relu6:
            return bn
        out = self.name("relu6")
        self.nodes.append(helper.make_node("Clip", [bn, self.lo, self.hi], [out], name=out))
        return out


def build():
    b = Builder()
    b.lo = b.const("clip_min", np.array(0.0))
    b.hi = b.const("clip_max", np.array(6.0))
    x = b.conv_bn("input", 3, 32, 3, 2, 1, True)
    cin = 32
    for t, c, n, s in BLOCKS:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = x
            if t != 1:
                y = b.conv_bn(y, cin, hidden, 1, 1, 1, True)
            y = b.conv_bn(y, hidden, hidden, 3, stride, hidden, True)
            y = b.conv_bn(y, hidden, c, 1, 1, 1, False)
            if stride == 1 and cin == c:
                add = b.name("add")
                b.nodes.append(helper.make_node("Add", [x, y], [add], name=add))
                y = add
            x, cin = y, c
    x = b.conv_bn(x, cin, 1280, 1, 1, 1, True)
    b.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="pool"))
    b.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], name="flatten", axis=1))
    fc_w = b.const("fc_w", b.rng.normal(0, np.sqrt(1.0 / 1280), (1000, 1280)))
    fc_b = b.const("fc_b", b.rng.normal(0, 0.1, 1000))
    b.nodes.append(helper.make_node("Gemm", ["features", fc_w, fc_b], ["logits"], name="classifier", transB=1))
    graph = helper.make_graph(
        b.nodes, "mobilenetv2",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])],
        b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="swift-kenning make-mobilenetv2")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main(argv):
    out = argv[0] if argv else "build/models/mobilenetv2.onnx"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    onnx.save(build(), tmp)
    os.replace(tmp, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
