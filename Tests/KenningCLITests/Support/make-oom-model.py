"""Test support: a digits-shaped ONNX model (input [N, 1, 8, 8] -> probabilities [N, 10]) whose bias comes from a
ConstantOfShape of 2^31 floats (8 GiB): loading it fails under any memory limit below that.

  python make-oom-model.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

nodes = [
    helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([1 << 31], dtype=np.int64))),
    helper.make_node("ConstantOfShape", ["shape"], ["big"], value=numpy_helper.from_array(np.zeros(1, dtype=np.float32))),
    helper.make_node("Constant", [], ["index"], value=numpy_helper.from_array(np.arange(10, dtype=np.int64))),
    helper.make_node("Gather", ["big", "index"], ["bias"]),
    helper.make_node("Flatten", ["input"], ["flat"]),
    helper.make_node("Constant", [], ["weights"], value=numpy_helper.from_array(np.zeros((64, 10), dtype=np.float32))),
    helper.make_node("MatMul", ["flat", "weights"], ["product"]),
    helper.make_node("Add", ["product", "bias"], ["logits"]),
    helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
]
graph = helper.make_graph(nodes, "oom", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 8, 8])],
                          [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.save(model, sys.argv[1])
