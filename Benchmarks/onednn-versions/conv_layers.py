#!/usr/bin/env python3
"""Write the convolution layers of an ONNX model as bench_conv.c reads them, one per line:
N C H W O KH KW SH SW PAD_TOP PAD_LEFT PAD_BOTTOM PAD_RIGHT GROUP ACTIVATION (0 none, 1 Relu, 2 HardSwish, 3 Clip 0..6),
the activation being the one after the convolution (and its BatchNormalization) that the native runtime fuses.

  .venv/bin/python Benchmarks/onednn-versions/conv_layers.py MODEL.onnx > MODEL.layers
"""
import sys

import onnx
from onnx import helper, shape_inference

model = shape_inference.infer_shapes(onnx.load(sys.argv[1]))
shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in list(model.graph.value_info) + list(model.graph.input)}
weights = {i.name: list(i.dims) for i in model.graph.initializer}
readers = {}
for node in model.graph.node:
    for name in node.input:
        readers.setdefault(name, []).append(node)
for node in model.graph.node:
    if node.op_type != "Conv":
        continue
    x, w = shapes[node.input[0]], weights[node.input[1]]
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    strides, pads, group = attrs.get("strides", [1, 1]), attrs.get("pads", [0, 0, 0, 0]), attrs.get("group", 1)
    after = readers.get(node.output[0], [None])[0]
    if after is not None and after.op_type == "BatchNormalization":
        after = readers.get(after.output[0], [None])[0]
    activation = {"Relu": 1, "HardSwish": 2, "Clip": 3}.get(after.op_type if after is not None else "", 0)
    print(*x, w[0], w[2], w[3], *strides, pads[0], pads[1], pads[2], pads[3], group, activation)
