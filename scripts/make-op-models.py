#!/usr/bin/env python3
"""Prepare the operator and real-model test set with ONNX Runtime's outputs.

  .venv/bin/python scripts/make-op-models.py [OUTDIR]        (default: build/op-models)

Two kinds of cases, each one ONNX model with one runtime input:
- operator cases: one ONNX op (or a short chain) per model, built with onnx.helper, covering the ops of today's
  edge models (activations, math, comparisons, Slice/Split/Pad/Expand/Tile, Resize in every coordinate mode,
  ConvTranspose, DepthToSpace, reductions, arg-extremes, LayerNormalization, batched MatMul ...);
- real models: the text detector, direction classifier and recogniser of PP-OCR (PaddleOCR, exported to ONNX with
  dynamic dimensions), as shipped in the rapidocr-onnxruntime wheel on PyPI (downloaded once, pinned), fed with
  scikit-image's real photograph of text (skimage.data.text()).

For each case NAME it writes OUTDIR/NAME.onnx, NAME.in.f32 (the input, float32), NAME.outK.f32 (ONNX Runtime's
K-th output, as float32) and OUTDIR/manifest.json listing them with shapes. A stamp keyed on this script and the
package versions skips the work when nothing changed.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RAPIDOCR = "rapidocr-onnxruntime==1.4.4"
RAPIDOCR_MODELS = {
    "ppocr_det": "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
    "ppocr_cls": "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
    "ppocr_rec": "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
}


def rng(name):
    return np.random.default_rng(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))


def const(name, value, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


class Case:
    """One model: `nodes` read the runtime input "x" and write the float outputs listed in `outputs`."""

    def __init__(self, name, shape, nodes, outputs, inits=(), opset=17, low=-3.0, high=3.0, domain_opsets=()):
        self.name, self.shape, self.nodes, self.outputs, self.inits = name, shape, nodes, outputs, list(inits)
        self.opset, self.low, self.high, self.domain_opsets = opset, low, high, domain_opsets

    def model(self):
        graph = helper.make_graph(
            self.nodes, self.name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, self.shape)],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in self.outputs], self.inits)
        opsets = [helper.make_opsetid("", self.opset)] + [helper.make_opsetid(d, v) for d, v in self.domain_opsets]
        model = helper.make_model(graph, opset_imports=opsets)
        model.ir_version = 8
        return model

    def input(self):
        return rng(self.name).uniform(self.low, self.high, self.shape).astype(np.float32)


def unary(op, shape=(2, 3, 4, 5), opset=17, low=-3.0, high=3.0, name=None, **attrs):
    return Case(name or f"op_{op}", list(shape), [helper.make_node(op, ["x"], ["y"], **attrs)], ["y"], opset=opset, low=low, high=high)


def to_float(node_op, inputs, inits=(), name=None, shape=(2, 3, 4, 5), opset=17, **attrs):
    """A node with a non-float output, cast to float so it is compared like the others."""
    return Case(name or f"op_{node_op}", list(shape),
                [helper.make_node(node_op, inputs, ["r"], **attrs), helper.make_node("Cast", ["r"], ["y"], to=TensorProto.FLOAT)],
                ["y"], inits=inits, opset=opset)


def operator_cases():
    cases = []
    for op, kw in [("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("Elu", {"alpha": 0.7}), ("Selu", {}), ("Celu", {"alpha": 1.5}),
                   ("ThresholdedRelu", {"alpha": 0.5}), ("Softplus", {}), ("Softsign", {}), ("Exp", {}), ("Reciprocal", {}),
                   ("Floor", {}), ("Ceil", {}), ("Round", {}), ("Erf", {}), ("Sin", {}), ("Cos", {}), ("Neg", {}), ("Abs", {}),
                   ("Sign", {}), ("Sigmoid", {}), ("Tanh", {}), ("Atan", {})]:
        cases.append(unary(op, **kw))
    cases.append(unary("HardSigmoid", name="op_HardSigmoid_default"))
    cases.append(unary("HardSwish", opset=14, low=-5, high=5))
    cases.append(unary("Mish", opset=18))
    cases.append(unary("Gelu", opset=20, name="op_Gelu_erf"))
    cases.append(unary("Gelu", opset=20, name="op_Gelu_tanh", approximate="tanh"))
    cases.append(unary("Log", low=0.05, high=4))
    cases.append(unary("Sqrt", low=0, high=4))
    # Round's halves go to the even neighbour.
    halves = Case("op_Round_halves", [8], [helper.make_node("Round", ["h"], ["r"]), helper.make_node("Add", ["r", "x"], ["y"])], ["y"],
                  inits=[const("h", [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997])], low=0, high=0)
    cases.append(halves)
    cases.append(Case("op_Pow_square", [2, 3, 4, 5], [helper.make_node("Pow", ["x", "e"], ["y"])], ["y"], inits=[const("e", 2.0)]))
    cases.append(Case("op_Pow_general", [2, 3, 4, 5], [helper.make_node("Pow", ["x", "e"], ["y"])], ["y"],
                      inits=[const("e", rng("pow").uniform(0.5, 2.5, [5]))], low=0.1, high=3))
    cases.append(Case("op_PRelu", [2, 3, 4, 5], [helper.make_node("PRelu", ["x", "s"], ["y"])], ["y"],
                      inits=[const("s", [[[0.1]], [[0.2]], [[-0.3]]])]))
    cases.append(Case("op_Mod_fmod", [2, 3, 4, 5], [helper.make_node("Mod", ["x", "m"], ["y"], fmod=1)], ["y"], inits=[const("m", 0.7)]))
    for op in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]:
        b = np.round(rng(op).uniform(-3, 3, [5]).astype(np.float32))
        cases.append(Case(f"op_{op}", [2, 3, 4, 5],
                          [helper.make_node("Floor", ["x"], ["f"]), helper.make_node(op, ["f", "b"], ["r"]),
                           helper.make_node("Cast", ["r"], ["y"], to=TensorProto.FLOAT)], ["y"], inits=[const("b", b)]))
    cases.append(Case("op_Logic", [2, 3, 4, 5],
                      [helper.make_node("Greater", ["x", "z"], ["p"]), helper.make_node("Less", ["x", "one"], ["q"]),
                       helper.make_node("And", ["p", "q"], ["a"]), helper.make_node("Or", ["p", "q"], ["o"]),
                       helper.make_node("Xor", ["a", "o"], ["e"]), helper.make_node("Not", ["e"], ["n"]),
                       helper.make_node("Where", ["n", "x", "k"], ["y"])], ["y"],
                      inits=[const("z", 0.0), const("one", 1.0), const("k", [[[-7.0]], [[8.0]], [[9.0]]])]))
    # Slices: steps, negative indices, clamped ends, reversed axes.
    big = np.iinfo(np.int64).max
    for i, (starts, ends, axes, steps) in enumerate([([1, 0], [3, 5], [1, 3], [1, 2]), ([-1], [-big], [2], [-1]),
                                                     ([0, 1, 1], [big, -1, 100], [0, 2, 3], [1, 1, 3]),
                                                     ([4, 2], [0, -100], [3, 1], [-2, -1])]):
        cases.append(Case(f"op_Slice_{i}", [2, 3, 4, 5], [helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"])], ["y"],
                          inits=[const("s", starts, np.int64), const("e", ends, np.int64), const("a", axes, np.int64),
                                 const("t", steps, np.int64)]))
    cases.append(Case("op_Slice_opset9", [2, 3, 4, 5], [helper.make_node("Slice", ["x"], ["y"], starts=[1, -3], ends=[2, 100], axes=[0, 3])],
                      ["y"], opset=9))
    cases.append(Case("op_Split_sizes", [2, 7, 3], [helper.make_node("Split", ["x", "s"], ["a", "b", "c"], axis=1)], ["a", "b", "c"],
                      inits=[const("s", [2, 4, 1], np.int64)]))
    cases.append(Case("op_Split_even", [2, 6, 3], [helper.make_node("Split", ["x"], ["a", "b"], axis=-2)], ["a", "b"]))
    cases.append(Case("op_Split_num_outputs", [2, 7, 3], [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3)],
                      ["a", "b", "c"], opset=18))
    for mode in ["constant", "reflect", "edge"]:
        cases.append(Case(f"op_Pad_{mode}", [2, 3, 4, 5], [helper.make_node("Pad", ["x", "p", "v"], ["y"], mode=mode)], ["y"],
                          inits=[const("p", [0, 1, 2, 3, 0, 0, 1, 2], np.int64), const("v", 1.5)]))
    cases.append(Case("op_Pad_crop", [2, 3, 4, 5], [helper.make_node("Pad", ["x", "p"], ["y"])], ["y"],
                      inits=[const("p", [0, 0, -1, 2, 0, 0, 1, -2], np.int64)]))
    cases.append(Case("op_Expand", [3, 1, 5], [helper.make_node("Expand", ["x", "s"], ["y"])], ["y"], inits=[const("s", [2, 3, 4, 1], np.int64)]))
    cases.append(Case("op_Tile", [2, 3, 4], [helper.make_node("Tile", ["x", "r"], ["y"])], ["y"], inits=[const("r", [2, 1, 3], np.int64)]))
    cases.append(Case("op_Range", [6], [helper.make_node("Range", ["a", "b", "c"], ["r"]), helper.make_node("Add", ["x", "r"], ["y"])], ["y"],
                      inits=[const("a", 0.5), const("b", 3.5), const("c", 0.5)]))
    cases.append(to_float("Range", ["a", "b", "c"], inits=[const("a", 10, np.int64), const("b", 1, np.int64), const("c", -3, np.int64)],
                          name="op_Range_int", shape=[1]))
    # Resize in every coordinate mode exporters use.
    resize_cases = [
        ("nearest_asym_floor", 13, {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}, [1, 1, 2, 2], None),
        ("nearest_half_pixel", 13, {"mode": "nearest"}, [1, 1, 1.5, 2.5], None),
        ("nearest_prefer_ceil", 13, {"mode": "nearest", "nearest_mode": "round_prefer_ceil"}, [1, 1, 2, 3], None),
        ("nearest_tf_half", 13, {"mode": "nearest", "coordinate_transformation_mode": "tf_half_pixel_for_nn"}, [1, 1, 2, 2], None),
        ("nearest_align", 13, {"mode": "nearest", "coordinate_transformation_mode": "align_corners"}, None, [2, 3, 9, 7]),
        ("linear_half_pixel", 13, {"mode": "linear"}, [1, 1, 2, 2], None),
        ("linear_down", 13, {"mode": "linear"}, [1, 1, 0.5, 0.6], None),
        ("linear_align", 13, {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, [1, 1, 2.5, 1.5], None),
        ("linear_asym", 13, {"mode": "linear", "coordinate_transformation_mode": "asymmetric"}, [1, 1, 2, 2], None),
        ("linear_pytorch_sizes", 13, {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, None, [2, 3, 1, 13]),
        ("cubic", 13, {"mode": "cubic"}, [1, 1, 2, 1.5], None),
        ("cubic_exclude", 13, {"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5}, [1, 1, 1.7, 2], None),
    ]
    for label, opset, attrs, scales, sizes in resize_cases:
        inits = [const("roi", [], np.float32), const("scales", scales if scales else [], np.float32)]
        inputs = ["x", "roi", "scales"]
        if sizes:
            inits.append(const("sizes", sizes, np.int64))
            inputs.append("sizes")
            inputs[2] = ""
            inits = inits[:1] + inits[2:]
        cases.append(Case(f"op_Resize_{label}", [2, 3, 6, 5], [helper.make_node("Resize", inputs, ["y"], **attrs)], ["y"],
                          inits=inits, opset=opset))
    cases.append(Case("op_Resize_opset10", [2, 3, 6, 5], [helper.make_node("Resize", ["x", "s"], ["y"], mode="nearest")], ["y"],
                      inits=[const("s", [1, 1, 2, 3])], opset=10))
    cases.append(Case("op_Upsample_opset9", [2, 3, 6, 5], [helper.make_node("Upsample", ["x", "s"], ["y"], mode="linear")], ["y"],
                      inits=[const("s", [1, 1, 2, 2])], opset=9))
    # Transposed convolutions: the decoder and FPN forms.
    for label, c, m, group, k, attrs in [
        ("s2", 4, 6, 1, 2, {"strides": [2, 2]}),
        ("s2_pads_outpad", 4, 6, 1, 3, {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}),
        ("grouped_dilated", 6, 4, 2, 3, {"dilations": [2, 2], "pads": [1, 0, 2, 1]}),
        ("output_shape", 4, 3, 1, 3, {"strides": [2, 2], "output_shape": [11, 9]}),
        ("same_upper", 4, 3, 1, 3, {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ]:
        r = rng(label)
        w = r.normal(0, 0.3, [c, m // group, k, k])
        b = r.normal(0, 0.3, [m])
        cases.append(Case(f"op_ConvTranspose_{label}", [2, c, 5, 4], [helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], group=group, **attrs)],
                          ["y"], inits=[const("w", w), const("b", b)]))
    for mode in ["DCR", "CRD"]:
        cases.append(Case(f"op_DepthToSpace_{mode}", [2, 8, 3, 4], [helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=2, mode=mode)], ["y"]))
    cases.append(Case("op_SpaceToDepth", [2, 3, 4, 6], [helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2)], ["y"]))
    cases.append(to_float("ArgMax", ["x"], name="op_ArgMax", axis=1, keepdims=1))
    cases.append(to_float("ArgMin", ["x"], name="op_ArgMin_last", axis=-1, keepdims=0, select_last_index=1))
    for op in ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"]:
        cases.append(Case(f"op_{op}", [2, 3, 4, 5], [helper.make_node(op, ["x"], ["y"], axes=[1, -1], keepdims=1)], ["y"], opset=13,
                          low=0.5 if op == "ReduceProd" else -3, high=1.5 if op == "ReduceProd" else 3))
    cases.append(Case("op_ReduceMean_opset18", [2, 3, 4, 5], [helper.make_node("ReduceMean", ["x", "a"], ["y"], keepdims=0)], ["y"],
                      inits=[const("a", [2], np.int64)], opset=18))
    cases.append(Case("op_ReduceSum_all", [2, 3, 4, 5], [helper.make_node("ReduceSum", ["x"], ["y"], keepdims=0)], ["y"], opset=13))
    cases.append(Case("op_ReduceSum_axes", [2, 3, 4, 5], [helper.make_node("ReduceSum", ["x", "a"], ["y"])], ["y"],
                      inits=[const("a", [0, 2], np.int64)], opset=13))
    cases.append(Case("op_LayerNormalization", [2, 5, 16], [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1, epsilon=1e-6)],
                      ["y"], inits=[const("g", rng("ln g").normal(1, 0.2, [16])), const("b", rng("ln b").normal(0, 0.2, [16]))]))
    cases.append(Case("op_LayerNormalization_axis1", [2, 5, 4], [helper.make_node("LayerNormalization", ["x", "g"], ["y"], axis=1)],
                      ["y"], inits=[const("g", rng("ln2").normal(1, 0.2, [5, 4]))]))
    cases.append(Case("op_InstanceNormalization", [2, 3, 4, 5], [helper.make_node("InstanceNormalization", ["x", "g", "b"], ["y"])], ["y"],
                      inits=[const("g", [0.5, 1.0, 1.5]), const("b", [0.1, -0.2, 0.3])]))
    cases.append(Case("op_MatMul_batched_dynamic", [2, 3, 4, 5],
                      [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]), helper.make_node("MatMul", ["x", "t"], ["y"])], ["y"]))
    cases.append(Case("op_Cast_bool", [2, 3, 4, 5],
                      [helper.make_node("Round", ["x"], ["r"]), helper.make_node("Cast", ["r"], ["b"], to=TensorProto.BOOL),
                       helper.make_node("Cast", ["b"], ["y"], to=TensorProto.FLOAT)], ["y"]))
    # The squeeze-excitation and hard-swish forms of MobileNetV3 as exporters write them.
    cases.append(Case("op_HardSwish_decomposed", [1, 8, 6, 6],
                      [helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                       helper.make_node("HardSigmoid", ["c"], ["h"], alpha=1 / 6, beta=0.5), helper.make_node("Mul", ["c", "h"], ["y"])],
                      ["y"], inits=[const("w", rng("hsw").normal(0, 0.3, [8, 8, 3, 3])), const("b", rng("hsb").normal(0, 0.3, [8]))]))
    cases += recurrent_and_selection_cases()
    return cases


def recurrent_and_selection_cases():
    """Recurrent layers in their variants, Einsum's attention and reduction forms, TopK, NonZero, Size and If."""
    cases = []
    h = 5

    def recurrent(name, op, gates, direction="forward", extra_inputs=(), seq=4, batch=2, features=3, **attrs):
        dirs = 2 if direction == "bidirectional" else 1
        r = rng(name)
        inits = [const("W", r.uniform(-0.6, 0.6, [dirs, gates * h, features])), const("R", r.uniform(-0.6, 0.6, [dirs, gates * h, h])),
                 const("B", r.uniform(-0.3, 0.3, [dirs, 2 * gates * h]))]
        inputs = ["x", "W", "R", "B"]
        for input_name, value, dtype in extra_inputs:
            inputs.append(input_name)
            if value is not None:
                inits.append(const(input_name, value, dtype))
        outputs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
        return Case(name, [seq, batch, features], [helper.make_node(op, inputs, outputs, hidden_size=h, direction=direction, **attrs)],
                    outputs, inits=inits)

    cases.append(recurrent("op_RNN", "RNN", 1))
    cases.append(recurrent("op_GRU_reset_first", "GRU", 3, direction="reverse",
                           extra_inputs=[("L", [4, 2], np.int32), ("H0", rng("h0").normal(0, 0.5, [1, 2, h]), np.float32)]))
    cases.append(recurrent("op_GRU_bidirectional_linear", "GRU", 3, direction="bidirectional", linear_before_reset=1))
    cases.append(recurrent("op_LSTM_peepholes_lengths", "LSTM", 4, direction="bidirectional",
                           extra_inputs=[("L", [3, 4], np.int32), ("H0", rng("lh").normal(0, 0.5, [2, 2, h]), np.float32),
                                         ("C0", rng("lc").normal(0, 0.5, [2, 2, h]), np.float32),
                                         ("P", rng("lp").normal(0, 0.5, [2, 3 * h]), np.float32)]))
    cases.append(recurrent("op_LSTM_clip_activations", "LSTM", 4, clip=1.5, activations=["HardSigmoid", "Tanh", "Relu"],
                           activation_alpha=[0.25], activation_beta=[0.45]))
    # Einsum: attention's forms, a transpose, a diagonal, a reduction and an implicit output with broadcasting.
    for i, (equation, shape, other) in enumerate([("bhqd,bhkd->bhqk", [2, 3, 6, 5], [2, 3, 4, 5]),
                                                  ("bhqk,bhkd->bhqd", [2, 3, 6, 5], [2, 3, 5, 4]),
                                                  ("...qd,...kd->...qk", [2, 3, 6, 5], [2, 3, 4, 5]),
                                                  ("bijk->bkji", [2, 3, 4, 5], None), ("biik->bik", [2, 4, 4, 3], None),
                                                  ("bijk->b", [2, 3, 4, 5], None), ("bijk,k", [2, 3, 4, 5], [5])]):
        inits = [const("o", rng(equation).normal(0, 1, other))] if other else []
        cases.append(Case(f"op_Einsum_{i}", shape, [helper.make_node("Einsum", ["x", "o"] if other else ["x"], ["y"], equation=equation)],
                          ["y"], inits=inits, opset=12))
    cases.append(Case("op_TopK_largest", [2, 3, 4, 5], [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=2),
                                                        helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT)], ["v", "fi"],
                      inits=[const("k", [3], np.int64)]))
    cases.append(Case("op_TopK_smallest_ties", [2, 3, 4, 5], [helper.make_node("Round", ["x"], ["r"]),
                                                              helper.make_node("TopK", ["r", "k"], ["v", "i"], axis=-1, largest=0),
                                                              helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT)], ["v", "fi"],
                      inits=[const("k", [2], np.int64)]))
    cases.append(Case("op_NonZero", [2, 3, 4, 5], [helper.make_node("Greater", ["x", "z"], ["p"]), helper.make_node("NonZero", ["p"], ["n"]),
                                                   helper.make_node("Cast", ["n"], ["y"], to=TensorProto.FLOAT)], ["y"],
                      inits=[const("z", 1.5)]))
    cases.append(Case("op_Size", [2, 3, 4, 5], [helper.make_node("Size", ["x"], ["n"]), helper.make_node("Cast", ["n"], ["f"], to=TensorProto.FLOAT),
                                                helper.make_node("Mul", ["x", "f"], ["y"])], ["y"]))
    # A transformer MLP as exporters write it: MatMul + bias, Gelu in its Erf form (two orders of the products), MatMul.
    w1, w2 = rng("mlp1").normal(0, 0.4, [5, 12]), rng("mlp2").normal(0, 0.3, [12, 5])
    for i, products in enumerate([
        lambda: [helper.make_node("Mul", ["h", "half"], ["hh"]), helper.make_node("Mul", ["hh", "e1"], ["g"])],
        lambda: [helper.make_node("Mul", ["e1", "half"], ["eh"]), helper.make_node("Mul", ["h", "eh"], ["g"])]]):
        cases.append(Case(f"op_MLP_gelu_{i}", [2, 7, 5],
                          [helper.make_node("MatMul", ["x", "w1"], ["m"]), helper.make_node("Add", ["b1", "m"], ["h"]),
                           helper.make_node("Mul", ["h", "rsqrt2"], ["s"]), helper.make_node("Erf", ["s"], ["e"]),
                           helper.make_node("Add", ["e", "one"], ["e1"])] + products() +
                          [helper.make_node("MatMul", ["g", "w2"], ["m2"]), helper.make_node("Add", ["m2", "b2"], ["y"])], ["y"],
                          inits=[const("w1", w1), const("w2", w2), const("b1", rng("b1").normal(0, 0.2, [12])),
                                 const("b2", rng("b2").normal(0, 0.2, [5])), const("half", 0.5), const("one", 1.0),
                                 const("rsqrt2", 0.70710678)]))
    # If on a condition the planner resolves (the input's rank), each branch reading the outer scope.
    then_branch = helper.make_graph([helper.make_node("Mul", ["x", "two"], ["t"])], "then", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)],
                                    [const("two", 2.0)])
    else_branch = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [], [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)])
    cases.append(Case("op_If_on_shape", [2, 3, 4, 5],
                      [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Size", ["s"], ["rank"]), helper.make_node("Equal", ["rank", "four"], ["c"]),
                       helper.make_node("If", ["c"], ["y"], then_branch=then_branch, else_branch=else_branch)], ["y"],
                      inits=[const("four", 4, np.int64)]))
    return cases


def text_image():
    from skimage import data
    return data.text().astype(np.float32)  # 172 × 448, grayscale photograph of printed text


def resize(img, h, w):
    from skimage.transform import resize as sk_resize
    return sk_resize(img, (h, w), order=1, anti_aliasing=True, preserve_range=True).astype(np.float32)


def ppocr_input(name):
    """The input each PP-OCR model expects in RapidOCR's preprocessing, from the real text photograph."""
    img = text_image()
    if name == "ppocr_det":
        x = resize(img, 288, 736)      # the longer side at RapidOCR's default limit (736), both multiples of 32
        rgb = np.stack([x, x, x], 0) / 255.0
        mean, std = np.array([0.485, 0.456, 0.406])[:, None, None], np.array([0.229, 0.224, 0.225])[:, None, None]
        return ((rgb - mean) / std)[None].astype(np.float32)
    line = img[20:70, 10:440]          # one line of the text
    height, width = (48, 192) if name == "ppocr_cls" else (48, 320)
    x = resize(line, height, width) / 255.0
    x = (x - 0.5) / 0.5
    return np.stack([x, x, x], 0)[None].astype(np.float32)


def real_cases(outdir):
    wheels = os.path.join(outdir, "wheels")
    os.makedirs(wheels, exist_ok=True)
    name, version = RAPIDOCR.split("==")
    wheel = os.path.join(wheels, f"{name.replace('-', '_')}-{version}-py3-none-any.whl")
    if not os.path.exists(wheel):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps", RAPIDOCR, "-d", wheels],
                       check=True)
    result = []
    with zipfile.ZipFile(wheel) as z:
        for case, member in RAPIDOCR_MODELS.items():
            result.append((case, onnx.load_from_string(z.read(member)), ppocr_input(case)))
    return result


def stamp_text():
    import onnxruntime
    import skimage
    h = hashlib.sha256(open(__file__, "rb").read()).hexdigest()[:16]
    return f"{h} onnx {onnx.__version__} onnxruntime {onnxruntime.__version__} skimage {skimage.__version__} {RAPIDOCR}\n"


def main(argv):
    outdir = argv[0] if argv else "build/op-models"
    os.makedirs(outdir, exist_ok=True)
    stamp_path, manifest_path = os.path.join(outdir, ".stamp"), os.path.join(outdir, "manifest.json")
    stamp = stamp_text()
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp and os.path.exists(manifest_path):
        print(f"make-op-models: {outdir} is up to date")
        return 0
    import onnxruntime as ort

    items = [(c.name, c.model(), c.input()) for c in operator_cases()] + real_cases(outdir)
    entries = []
    for name, model, x in items:
        path = os.path.join(outdir, f"{name}.onnx")
        onnx.save(model, path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        outputs = sess.run(None, {sess.get_inputs()[0].name: x})
        x.tofile(os.path.join(outdir, f"{name}.in.f32"))
        for k, y in enumerate(outputs):
            np.asarray(y, dtype=np.float32).tofile(os.path.join(outdir, f"{name}.out{k}.f32"))
        entries.append({"name": name, "model": path, "input_shape": list(x.shape), "output_shapes": [list(np.shape(y)) for y in outputs],
                        "real": not name.startswith("op_")})
    with open(manifest_path, "w") as f:
        json.dump(entries, f, indent=1)
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print(f"make-op-models: {len(entries)} cases in {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
