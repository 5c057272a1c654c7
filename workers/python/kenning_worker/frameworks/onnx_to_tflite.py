"""A small ONNX -> TFLite converter for CNN classifiers, written against the TFLite flatbuffer schema that
ai-edge-litert ships (no TensorFlow needed).

Covers: Conv (incl. depthwise), BatchNormalization (folded into the Conv before it), Relu / Clip(0,6) (fused or
standalone), MaxPool, AveragePool, GlobalAveragePool, Flatten / Reshape to 2-D, Gemm / MatMul(+Add), Add, Softmax.
Image tensors are NHWC inside the TFLite model; the model's input keeps the ONNX NCHW meaning and the runtime
transposes (outside the timed call). Anything else raises UnsupportedOp naming the node."""
import flatbuffers
import numpy as np
import onnx
from onnx import numpy_helper

import ai_edge_litert.schema_py_generated as S


class UnsupportedOp(ValueError):
    pass


class _Writer:
    def __init__(self):
        self.buffers = [S.BufferT()]          # buffer 0 stays empty
        self.tensors, self.operators, self.codes = [], [], []
        self.index = {}                        # onnx name -> (tensor index, layout, shape)

    def tensor(self, name, shape, data=None, dtype=np.float32, signature=None):
        t = S.TensorT()
        t.name = name
        t.shape = list(shape)
        if signature is not None:
            t.shapeSignature = list(signature)
        t.type = {np.float32: S.TensorType.FLOAT32, np.int32: S.TensorType.INT32}[dtype]
        t.buffer = 0
        if data is not None:
            b = S.BufferT()
            b.data = np.frombuffer(np.ascontiguousarray(data, dtype=dtype).tobytes(), dtype=np.uint8)
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        self.tensors.append(t)
        return len(self.tensors) - 1

    def op(self, code, inputs, outputs, options_type=0, options=None):
        if code not in self.codes:
            self.codes.append(code)
        o = S.OperatorT()
        o.opcodeIndex = self.codes.index(code)
        o.inputs, o.outputs = list(inputs), list(outputs)
        o.builtinOptionsType = options_type
        o.builtinOptions = options
        self.operators.append(o)


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _padding(pads, kernel, strides, in_hw):
    """SAME or VALID for ONNX explicit pads, or None when neither matches (then an explicit PAD op is added)."""
    if not any(pads):
        return S.Padding.VALID
    for i in range(2):
        out = -(-in_hw[i] // strides[i])
        total = max((out - 1) * strides[i] + kernel[i] - in_hw[i], 0)
        if pads[i] != total // 2 or pads[i + 2] != total - total // 2:
            return None
    return S.Padding.SAME


def convert(model_bytes, batch=1):
    model = onnx.load_from_string(model_bytes)
    g = model.graph
    consts = {i.name: numpy_helper.to_array(i).astype(np.float32) if i.data_type == 1 else numpy_helper.to_array(i)
              for i in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(_attrs(n)["value"])
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    w = _Writer()
    inputs, outputs = [], []
    for inp in g.input:
        if inp.name in consts:
            continue
        dims = [d.dim_value if d.dim_value > 0 else -1 for d in inp.type.tensor_type.shape.dim]
        if len(dims) == 4:
            shape, layout = [batch, dims[2], dims[3], dims[1]], "NHWC"
        else:
            shape, layout = [batch] + dims[1:], "flat"
        idx = w.tensor(inp.name, shape, signature=[-1] + shape[1:])
        w.index[inp.name] = (idx, layout, shape)
        inputs.append(idx)

    done = set()

    def only_consumer(name, op_types):
        c = consumers.get(name, [])
        if len(c) == 1 and c[0].op_type in op_types and name not in [o.name for o in g.output]:
            return c[0]
        return None

    def fuse_activation(name):
        """Absorbs a following Relu / Clip(0,6); returns (activation, output name)."""
        nxt = only_consumer(name, ("Relu", "Clip"))
        if nxt is None:
            return S.ActivationFunctionType.NONE, name
        if nxt.op_type == "Relu":
            done.add(id(nxt))
            return S.ActivationFunctionType.RELU, nxt.output[0]
        lo = consts.get(nxt.input[1]) if len(nxt.input) > 1 and nxt.input[1] else _attrs(nxt).get("min")
        hi = consts.get(nxt.input[2]) if len(nxt.input) > 2 and nxt.input[2] else _attrs(nxt).get("max")
        if lo is not None and hi is not None and float(lo) == 0 and float(hi) == 6:
            done.add(id(nxt))
            return S.ActivationFunctionType.RELU6, nxt.output[0]
        return S.ActivationFunctionType.NONE, name

    def src(name, node):
        if name not in w.index:
            raise UnsupportedOp(f"{node.op_type} node {node.name or node.output[0]}: input {name} is not a tensor this converter produced")
        return w.index[name]

    for n in g.node:
        if id(n) in done or n.op_type == "Constant":
            continue
        a = _attrs(n)
        label = f"{n.op_type} node {n.name or n.output[0]}"
        if n.op_type == "Conv":
            x, layout, shp = src(n.input[0], n)
            if layout != "NHWC":
                raise UnsupportedOp(f"{label}: only 2-D convolutions are supported")
            wt = consts[n.input[1]].copy()
            bias = consts[n.input[2]].copy() if len(n.input) > 2 and n.input[2] else np.zeros(wt.shape[0], np.float32)
            out_name = n.output[0]
            bn = only_consumer(out_name, ("BatchNormalization",))
            if bn is not None:
                scale, b, mean, var = (consts[i] for i in bn.input[1:5])
                k = scale / np.sqrt(var + _attrs(bn).get("epsilon", 1e-5))
                wt = wt * k[:, None, None, None]
                bias = (bias - mean) * k + b
                done.add(id(bn))
                out_name = bn.output[0]
            act, out_name = fuse_activation(out_name)
            kh, kw = wt.shape[2], wt.shape[3]
            strides = a.get("strides", [1, 1])
            dil = a.get("dilations", [1, 1])
            pads = a.get("pads", [0, 0, 0, 0])
            if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise UnsupportedOp(f"{label}: auto_pad is not supported")
            pad = _padding(pads, [kh, kw], strides, shp[1:3])
            if pad is None:
                pv = np.array([[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]], np.int32)
                padded = [shp[0], shp[1] + pads[0] + pads[2], shp[2] + pads[1] + pads[3], shp[3]]
                pt = w.tensor(f"{out_name}/pad", padded, signature=[-1] + padded[1:])
                w.op(S.BuiltinOperator.PAD, [x, w.tensor(f"{out_name}/paddings", [4, 2], pv, np.int32)], [pt])
                x, shp, pad = pt, padded, S.Padding.VALID
            group = a.get("group", 1)
            oh = (shp[1] - (kh - 1) * dil[0] - 1) // strides[0] + 1 if pad == S.Padding.VALID else -(-shp[1] // strides[0])
            ow = (shp[2] - (kw - 1) * dil[1] - 1) // strides[1] + 1 if pad == S.Padding.VALID else -(-shp[2] // strides[1])
            oshape = [shp[0], oh, ow, wt.shape[0]]
            out = w.tensor(out_name, oshape, signature=[-1] + oshape[1:])
            bt = w.tensor(f"{out_name}/bias", [wt.shape[0]], bias)
            if group == 1:
                opt = S.Conv2DOptionsT()
                opt.padding, opt.strideH, opt.strideW = pad, strides[0], strides[1]
                opt.dilationHFactor, opt.dilationWFactor, opt.fusedActivationFunction = dil[0], dil[1], act
                wk = w.tensor(f"{out_name}/weights", [wt.shape[0], kh, kw, wt.shape[1]], wt.transpose(0, 2, 3, 1))
                w.op(S.BuiltinOperator.CONV_2D, [x, wk, bt], [out], S.BuiltinOptions.Conv2DOptions, opt)
            elif group == shp[3] and wt.shape[1] == 1:
                opt = S.DepthwiseConv2DOptionsT()
                opt.padding, opt.strideH, opt.strideW = pad, strides[0], strides[1]
                opt.dilationHFactor, opt.dilationWFactor, opt.fusedActivationFunction = dil[0], dil[1], act
                opt.depthMultiplier = wt.shape[0] // group
                wk = w.tensor(f"{out_name}/weights", [1, kh, kw, wt.shape[0]], wt.transpose(1, 2, 3, 0))
                w.op(S.BuiltinOperator.DEPTHWISE_CONV_2D, [x, wk, bt], [out], S.BuiltinOptions.DepthwiseConv2DOptions, opt)
            else:
                raise UnsupportedOp(f"{label}: grouped convolution with group={group} is not supported")
            w.index[out_name] = (out, "NHWC", oshape)
        elif n.op_type in ("MaxPool", "AveragePool"):
            x, layout, shp = src(n.input[0], n)
            k = a["kernel_shape"]
            strides = a.get("strides", [1, 1])
            pads = a.get("pads", [0, 0, 0, 0])
            pad = _padding(pads, k, strides, shp[1:3])
            if pad is None or a.get("ceil_mode", 0):
                raise UnsupportedOp(f"{label}: padding {pads} / ceil_mode is not supported")
            act, out_name = fuse_activation(n.output[0])
            opt = S.Pool2DOptionsT()
            opt.padding, opt.strideH, opt.strideW, opt.filterHeight, opt.filterWidth = pad, strides[0], strides[1], k[0], k[1]
            opt.fusedActivationFunction = act
            oh = (shp[1] - k[0]) // strides[0] + 1 if pad == S.Padding.VALID else -(-shp[1] // strides[0])
            ow = (shp[2] - k[1]) // strides[1] + 1 if pad == S.Padding.VALID else -(-shp[2] // strides[1])
            oshape = [shp[0], oh, ow, shp[3]]
            out = w.tensor(out_name, oshape, signature=[-1] + oshape[1:])
            code = S.BuiltinOperator.MAX_POOL_2D if n.op_type == "MaxPool" else S.BuiltinOperator.AVERAGE_POOL_2D
            w.op(code, [x], [out], S.BuiltinOptions.Pool2DOptions, opt)
            w.index[out_name] = (out, "NHWC", oshape)
        elif n.op_type == "GlobalAveragePool":
            x, layout, shp = src(n.input[0], n)
            oshape = [shp[0], 1, 1, shp[3]]
            out = w.tensor(n.output[0], oshape, signature=[-1] + oshape[1:])
            opt = S.ReducerOptionsT()
            opt.keepDims = True
            w.op(S.BuiltinOperator.MEAN, [x, w.tensor(f"{n.output[0]}/axes", [2], np.array([1, 2], np.int32), np.int32)],
                 [out], S.BuiltinOptions.ReducerOptions, opt)
            w.index[n.output[0]] = (out, "NHWC", oshape)
        elif n.op_type in ("Flatten", "Reshape"):
            x, layout, shp = src(n.input[0], n)
            if n.op_type == "Reshape":
                target = [int(v) for v in consts[n.input[1]]]
                if len(target) != 2 or target[0] not in (-1, 0, 1, shp[0]):
                    raise UnsupportedOp(f"{label}: only reshapes to [batch, features] are supported")
            elif a.get("axis", 1) != 1:
                raise UnsupportedOp(f"{label}: only axis=1 is supported")
            feat = int(np.prod(shp[1:]))
            out = w.tensor(n.output[0], [shp[0], feat], signature=[-1, feat])
            w.op(S.BuiltinOperator.RESHAPE, [x, w.tensor(f"{n.output[0]}/shape", [2], np.array([-1, feat], np.int32), np.int32)],
                 [out])
            # Features come out in H, W, C order; remember it so the next dense layer's columns can be permuted.
            order = ("HWC", shp[1:]) if layout == "NHWC" and (shp[1] > 1 or shp[2] > 1) else None
            w.index[n.output[0]] = (out, ("flat", order), [shp[0], feat])
        elif n.op_type in ("Gemm", "MatMul"):
            x, layout, shp = src(n.input[0], n)
            wt = consts.get(n.input[1])
            if wt is None or len(shp) != 2:
                raise UnsupportedOp(f"{label}: needs a constant weight and a 2-D input")
            wt = wt.astype(np.float32)
            if n.op_type == "Gemm":
                if a.get("transA", 0):
                    raise UnsupportedOp(f"{label}: transA is not supported")
                wt = wt if a.get("transB", 0) else wt.T
                wt = wt * a.get("alpha", 1.0)
                bias = consts[n.input[2]] * a.get("beta", 1.0) if len(n.input) > 2 and n.input[2] else np.zeros(wt.shape[0], np.float32)
                out_name = n.output[0]
            else:
                wt = wt.T
                bias = np.zeros(wt.shape[0], np.float32)
                out_name = n.output[0]
                add = only_consumer(out_name, ("Add",))
                if add is not None:
                    other = add.input[1] if add.input[0] == out_name else add.input[0]
                    if other in consts and consts[other].size == wt.shape[0]:
                        bias = consts[other].reshape(-1).astype(np.float32)
                        done.add(id(add))
                        out_name = add.output[0]
            if isinstance(layout, tuple) and layout[1] is not None:
                h, ww, c = layout[1][1]
                # ONNX column index c*H*W + y*W + x  ->  TFLite column index y*W*C + x*C + c
                wt = wt.reshape(wt.shape[0], c, h, ww).transpose(0, 2, 3, 1).reshape(wt.shape[0], -1)
            act, out_name = fuse_activation(out_name)
            opt = S.FullyConnectedOptionsT()
            opt.fusedActivationFunction = act
            oshape = [shp[0], wt.shape[0]]
            out = w.tensor(out_name, oshape, signature=[-1, wt.shape[0]])
            w.op(S.BuiltinOperator.FULLY_CONNECTED,
                 [x, w.tensor(f"{out_name}/weights", list(wt.shape), wt), w.tensor(f"{out_name}/bias", [wt.shape[0]], bias.astype(np.float32))],
                 [out], S.BuiltinOptions.FullyConnectedOptions, opt)
            w.index[out_name] = (out, "flat", oshape)
        elif n.op_type in ("Relu", "Clip"):
            x, layout, shp = src(n.input[0], n)
            code = S.BuiltinOperator.RELU
            if n.op_type == "Clip":
                lo = consts.get(n.input[1]) if len(n.input) > 1 and n.input[1] else a.get("min")
                hi = consts.get(n.input[2]) if len(n.input) > 2 and n.input[2] else a.get("max")
                if lo is None or hi is None or float(lo) != 0 or float(hi) != 6:
                    raise UnsupportedOp(f"{label}: only Clip(0, 6) is supported")
                code = S.BuiltinOperator.RELU6
            out = w.tensor(n.output[0], shp, signature=[-1] + shp[1:])
            w.op(code, [x], [out])
            w.index[n.output[0]] = (out, layout, shp)
        elif n.op_type == "Add":
            if n.input[0] not in w.index or n.input[1] not in w.index:
                raise UnsupportedOp(f"{label}: only the sum of two computed tensors is supported")
            x, layout, shp = w.index[n.input[0]]
            y = w.index[n.input[1]][0]
            act, out_name = fuse_activation(n.output[0])
            opt = S.AddOptionsT()
            opt.fusedActivationFunction = act
            out = w.tensor(out_name, shp, signature=[-1] + shp[1:])
            w.op(S.BuiltinOperator.ADD, [x, y], [out], S.BuiltinOptions.AddOptions, opt)
            w.index[out_name] = (out, layout, shp)
        elif n.op_type == "Softmax":
            x, layout, shp = src(n.input[0], n)
            if len(shp) != 2 or a.get("axis", -1) not in (-1, 1):
                raise UnsupportedOp(f"{label}: only softmax over the last axis of a 2-D tensor is supported")
            opt = S.SoftmaxOptionsT()
            opt.beta = 1.0
            out = w.tensor(n.output[0], shp, signature=[-1] + shp[1:])
            w.op(S.BuiltinOperator.SOFTMAX, [x], [out], S.BuiltinOptions.SoftmaxOptions, opt)
            w.index[n.output[0]] = (out, layout, shp)
        elif n.op_type in ("Identity", "Dropout"):
            w.index[n.output[0]] = src(n.input[0], n)
        else:
            raise UnsupportedOp(f"{label}: ONNX op {n.op_type} has no TFLite translation in this converter")
    for o in g.output:
        if o.name not in w.index:
            raise UnsupportedOp(f"graph output {o.name} was not produced")
        idx, layout, _ = w.index[o.name]
        if layout == "NHWC":
            raise UnsupportedOp(f"graph output {o.name} is an image tensor; only [batch, features] outputs are supported")
        w.tensors[idx].name = o.name
        outputs.append(idx)

    m = S.ModelT()
    m.version = 3
    m.description = "converted from ONNX by swift-kenning"
    codes = []
    for c in w.codes:
        oc = S.OperatorCodeT()
        oc.builtinCode = c
        oc.deprecatedBuiltinCode = min(c, 127)
        oc.version = 1
        codes.append(oc)
    m.operatorCodes = codes
    sg = S.SubGraphT()
    sg.tensors, sg.operators, sg.inputs, sg.outputs, sg.name = w.tensors, w.operators, inputs, outputs, "main"
    m.subgraphs = [sg]
    m.buffers = w.buffers
    sig = S.SignatureDefT()
    sig.signatureKey = "serving_default"
    sig.subgraphIndex = 0

    def tmap(idx):
        t = S.TensorMapT()
        t.name, t.tensorIndex = w.tensors[idx].name, idx
        return t
    sig.inputs, sig.outputs = [tmap(i) for i in inputs], [tmap(i) for i in outputs]
    m.signatureDefs = [sig]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
