#!/usr/bin/env python3
"""Write the bad-model catalogue into DIR: each file is broken in one way a model met in the wild can be.

  .venv/bin/python Tests/KenningCLITests/Support/make-bad-models.py DIR

truncated.onnx (the digits CNN cut in half), mistyped.onnx (weights whose payload does not fit their declared
shape), cyclic.onnx (two nodes reading each other), oversized.onnx (an input declared with 2^40 × 2^40 elements),
inconsistent.onnx (a convolution whose weights expect other channels than its input has), unknown-op.onnx (an op no
runtime knows), deep-if.onnx (If nodes nested 21 deep), truncated.tflite (a real TFLite model cut short),
not-a-model.onnx (a PNG image).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
digits = open(os.path.join(root, "models", "digits-cnn.onnx"), "rb").read()
open(os.path.join(out, "truncated.onnx"), "wb").write(digits[: len(digits) // 2])


def save(name, nodes, inits=(), x_shape=(1, 1, 8, 8), y_shape=None):
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    open(os.path.join(out, name), "wb").write(model.SerializeToString())


w = numpy_helper.from_array(np.ones([4, 1, 3, 3], np.float32), "w")
w.raw_data = w.raw_data[:20]
save("mistyped.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3])], [w])
save("cyclic.onnx", [helper.make_node("Add", ["x", "b"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
                     helper.make_node("Identity", ["a"], ["y"])])
save("oversized.onnx", [helper.make_node("Relu", ["x"], ["y"])], x_shape=(1 << 40, 1 << 40))
save("inconsistent.onnx", [helper.make_node("Conv", ["x", "w3"], ["y"], kernel_shape=[3, 3])],
     [numpy_helper.from_array(np.ones([4, 3, 3, 3], np.float32), "w3")])
save("unknown-op.onnx", [helper.make_node("Conv", ["x", "w1"], ["c"], kernel_shape=[3, 3]), helper.make_node("FancyAttention", ["c"], ["y"])],
     [numpy_helper.from_array(np.ones([4, 1, 3, 3], np.float32), "w1")])
leaf = helper.make_graph([helper.make_node("Relu", ["x"], ["r0"])], "b0", [], [helper.make_tensor_value_info("r0", TensorProto.FLOAT, None)])
body = leaf
for depth in range(1, 21):
    node = helper.make_node("If", ["c"], [f"r{depth}"], then_branch=body, else_branch=leaf)
    body = helper.make_graph([node], f"b{depth}", [], [helper.make_tensor_value_info(f"r{depth}", TensorProto.FLOAT, None)])
save("deep-if.onnx", [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(np.array(True))),
                      helper.make_node("If", ["c"], ["y"], then_branch=body, else_branch=leaf)])
tflite = os.path.join(root, "build", "tflite-models", "blazeface.tflite")
if os.path.exists(tflite):
    data = open(tflite, "rb").read()
    open(os.path.join(out, "truncated.tflite"), "wb").write(data[: len(data) // 3])
png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
open(os.path.join(out, "not-a-model.onnx"), "wb").write(png)
