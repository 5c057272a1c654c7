import KenningCore

/// Builds a graph from a TFLite FlatBuffer's first subgraph (see ``TFLite``).
///
/// Every TFLite tensor is made available in one of two layouts: as stored (`native`, NHWC for 4-D activations) or,
/// for 4-D tensors, transposed to NCHW; spatial operators read and write NCHW, shape operators native, and a
/// Transpose is emitted the first time a tensor is wanted on the other side.
struct TFLiteImporter {
    struct Unsupported: Error { let reason: String }

    enum Layout { case native, nchw }

    /// What the file says of one tensor.
    struct TensorInfo {
        let name: String
        let shape: [Int]
        let signature: [Int]
        let type: Int
        let data: Range<Int>?
        let scales: [Float]
        let zeroPoints: [Int64]
        let quantizedDimension: Int
    }

    let fb: FlatBuffer
    private var tensors: [TensorInfo] = []
    private var nodes: [Node] = []
    private var initializers: [(String, Tensor)] = []
    /// A tensor's graph value in each layout it has been made in.
    private var values: [Int: [Layout: String]] = [:]
    /// Constant tensors (buffers, and DEQUANTIZE of buffers), as stored.
    private var constants: [Int: Tensor] = [:]
    /// The int8 value of each quantized tensor an operator wrote (its float view is in `values`).
    private var quantizedValues: [Int: String] = [:]
    private var counter = 0

    init(_ fb: FlatBuffer) { self.fb = fb }

    // MARK: Reading the file

    /// The declared inputs and outputs (TFLite's names, shapes with -1 for dynamic sizes, element types).
    mutating func ioSpec() throws -> IOSpec {
        let root = try fb.root()
        guard let subgraph = try fb.tables(root, 2).first else { throw Unsupported(reason: "the model has no subgraph") }
        try readTensors(subgraph, buffers: [])
        func spec(_ i: Int) throws -> TensorSpec {
            guard i >= 0, i < tensors.count else { throw FlatBuffer.Malformed(reason: "graph tensor index \(i) out of range") }
            let t = tensors[i]
            return TensorSpec(name: t.name, shape: t.signature, elementType: Self.elementType(t.type) ?? .float32)
        }
        return IOSpec(inputs: try (try fb.int32s(subgraph, 1) ?? []).map(spec), outputs: try (try fb.int32s(subgraph, 2) ?? []).map(spec))
    }

    mutating func model() throws -> Model {
        let root = try fb.root()
        let codes = try fb.tables(root, 1).map { code -> (Int, String?) in
            let deprecated = Int(try fb.scalar(code, 0, default: Int8(0)))
            let builtin = Int(try fb.scalar(code, 3, default: Int32(0)))
            return (max(deprecated, builtin), try fb.string(code, 1))
        }
        let buffers = try fb.tables(root, 4)
        guard let subgraph = try fb.tables(root, 2).first else { throw Unsupported(reason: "the model has no subgraph") }
        try readTensors(subgraph, buffers: buffers)
        // Quantized constants (int8 weights, int32 biases) are read as the float values they stand for.
        for (i, t) in tensors.enumerated() where t.data != nil {
            constants[i] = try decode(t)
            if Self.isQuantized(t), [2, 9].contains(t.type) { constants[i] = try dequantized(constants[i]!, t) }
        }
        let inputs = try fb.int32s(subgraph, 1) ?? [], outputs = try fb.int32s(subgraph, 2) ?? []
        for i in inputs + outputs where i < 0 || i >= tensors.count { throw FlatBuffer.Malformed(reason: "graph tensor index \(i) out of range") }
        for (i, t) in tensors.enumerated() where Self.isQuantized(t) && t.type == 3 {
            throw Unsupported(reason: "tensor \(t.name) is uint8-quantized; the importer reads float and int8-quantized models")
        }
        // A quantized (int8) input is read through a DequantizeLinear; every op then works on float values.
        for i in inputs {
            values[i] = [.native: Self.isQuantized(tensors[i]) ? dequantize(tensors[i].name, tensors[i]) : tensors[i].name]
        }
        for op in try fb.tables(subgraph, 3) {
            let index = Int(try fb.scalar(op, 0, default: UInt32(0)))
            guard index < codes.count else { throw FlatBuffer.Malformed(reason: "operator code \(index) out of range") }
            let ins = try fb.int32s(op, 1) ?? [], outs = try fb.int32s(op, 2) ?? []
            for i in ins + outs where i >= tensors.count { throw FlatBuffer.Malformed(reason: "tensor index \(i) out of range") }
            try convert(code: codes[index].0, custom: codes[index].1, inputs: ins, outputs: outs, options: try fb.subtable(op, 4))
        }
        // Graph outputs keep their TFLite names and layout.
        for o in outputs {
            let value = try quantizedValues[o] ?? self.value(o, .native)
            if value != tensors[o].name { emit("Identity", [value], named: tensors[o].name) }
        }
        func info(_ i: Int) -> ValueInfo {
            let t = tensors[i]
            return ValueInfo(name: t.name, elementType: Self.elementType(t.type) ?? .float32,
                             shape: t.signature.map { $0 < 0 ? .symbolic("") : .fixed($0) })
        }
        let graph = Graph(name: "tflite", nodes: nodes, initializers: initializers, inputs: inputs.map(info), outputs: outputs.map(info))
        return Model(opsets: [OperatorSet(domain: "", version: 13)], producerName: "tflite", graph: graph)
    }

    /// Reads the subgraph's tensor table (names made unique; data ranges only when `buffers` are given).
    private mutating func readTensors(_ subgraph: FlatBuffer.Table, buffers: [FlatBuffer.Table]) throws {
        var seen: [String: Int] = [:]
        tensors = try fb.tables(subgraph, 0).enumerated().map { i, t in
            let shape = try fb.int32s(t, 0) ?? []
            var name = try fb.string(t, 3) ?? "tensor_\(i)"
            seen[name, default: 0] += 1
            if seen[name]! > 1 { name += ":\(i)" }
            let bufferIndex = Int(try fb.scalar(t, 2, default: UInt32(0)))
            var data: Range<Int>? = nil
            if bufferIndex > 0, bufferIndex < buffers.count, let range = try fb.byteRange(buffers[bufferIndex], 0), !range.isEmpty {
                data = range
            }
            var scales: [Float] = [], zeroPoints: [Int64] = [], axis = 0
            if let q = try fb.subtable(t, 4) {
                if let (count, start) = try fb.vector(q, 2, elementSize: 4) {
                    scales = try (0..<count).map { Float(bitPattern: try fb.load(UInt32.self, at: start + 4 * $0)) }
                }
                if let (count, start) = try fb.vector(q, 3, elementSize: 8) {
                    zeroPoints = try (0..<count).map { try fb.load(Int64.self, at: start + 8 * $0) }
                }
                axis = Int(try fb.scalar(q, 6, default: Int32(0)))
            }
            return TensorInfo(name: name, shape: shape, signature: try fb.int32s(t, 7) ?? shape, type: Int(try fb.scalar(t, 1, default: Int8(0))),
                              data: data, scales: scales, zeroPoints: zeroPoints, quantizedDimension: axis)
        }
    }

    static func elementType(_ type: Int) -> ElementType? {
        switch type {
        case 0: return .float32
        case 1: return .float16
        case 2: return .int32
        case 3: return .uint8
        case 4: return .int64
        case 6: return .bool
        case 7: return .int16
        case 9: return .int8
        default: return nil
        }
    }

    /// A constant tensor's values (float16 widened to float32).
    func decode(_ t: TensorInfo) throws -> Tensor {
        guard let range = t.data else { throw Unsupported(reason: "tensor \(t.name) has no data") }
        var count = 1
        for d in t.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, product <= range.count else { throw FlatBuffer.Malformed(reason: "tensor \(t.name) has an impossible shape \(t.shape)") }
            count = product
        }
        func read<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            let width = MemoryLayout<T>.size
            guard range.count >= count * width else { throw FlatBuffer.Malformed(reason: "tensor \(t.name) \(t.shape) needs \(count * width) bytes, has \(range.count)") }
            return try (0..<count).map { try fb.load(T.self, at: range.lowerBound + width * $0) }
        }
        switch t.type {
        case 0: return Tensor(shape: t.shape, floats: try read(UInt32.self).map { Float(bitPattern: $0) })
        case 1: return Tensor(shape: t.shape, floats: try read(UInt16.self).map { Float(halfBits: $0) })
        case 2: return Tensor(shape: t.shape, ints: try read(Int32.self).map { Int64($0) })
        case 4: return Tensor(shape: t.shape, ints: try read(Int64.self))
        case 9: return Tensor(shape: t.shape, ints: try read(Int8.self).map { Int64($0) })
        case 3: return Tensor(shape: t.shape, ints: try read(UInt8.self).map { Int64($0) })
        default: throw Unsupported(reason: "tensor \(t.name) has TFLite type \(t.type), which the importer does not read")
        }
    }

    // MARK: Emitting the graph

    private mutating func fresh(_ base: String) -> String {
        counter += 1
        return "\(base)__\(counter)"
    }

    /// Adds a node and returns its (first) output.
    @discardableResult
    private mutating func emit(_ op: String, _ inputs: [String], named: String? = nil, _ attributes: [(String, AttributeValue)] = []) -> String {
        let out = named ?? fresh(op)
        nodes.append(Node(name: out, opType: op, inputs: inputs, outputs: [out], attributes: attributes))
        return out
    }

    private mutating func constant(_ t: Tensor, _ base: String) -> String {
        let name = fresh(base)
        initializers.append((name, t))
        return name
    }

    private func rank(_ i: Int) -> Int { tensors[i].shape.count }

    /// Tensor `i` as a graph value in `layout` (a constant is converted at import; a runtime value through a Transpose).
    private mutating func value(_ i: Int, _ layout: Layout) throws -> String {
        if let name = values[i]?[layout] { return name }
        let to4D = layout == .nchw && rank(i) == 4
        if let c = constants[i] {
            let name = constant(to4D ? try Self.transposed(c, [0, 3, 1, 2]) : c, tensors[i].name)
            values[i, default: [:]][layout] = name
            return name
        }
        guard let existing = values[i] else { throw Unsupported(reason: "tensor \(tensors[i].name) is read before it is written") }
        if layout == .nchw, !to4D, let native = existing[.native] { return native }
        let (source, perm): (String, [Int]) = layout == .nchw ? (existing[.native]!, [0, 3, 1, 2]) : (existing[.nchw]!, [0, 2, 3, 1])
        let name = emit("Transpose", [source], [("perm", .ints(perm))])
        values[i, default: [:]][layout] = name
        return name
    }

    /// The layout a tensor already exists in (NCHW preferred for 4-D tensors).
    private func currentLayout(_ i: Int) -> Layout {
        values[i]?[.nchw] != nil || (values[i] == nil && rank(i) == 4) ? .nchw : .native
    }

    /// Records `name` as tensor `i`'s value in `layout`. A quantized (int8) tensor is rounded to its int8 grid as
    /// TFLite stores it: QuantizeLinear then DequantizeLinear, so readers see exactly the values TFLite computes with.
    private mutating func define(_ i: Int, _ name: String, _ layout: Layout) {
        var name = name
        if Self.isQuantized(tensors[i]), constants[i] == nil {
            let (scale, zero) = quantization(tensors[i])
            let q = emit("QuantizeLinear", [name, scale, zero])
            quantizedValues[i] = q
            name = emit("DequantizeLinear", [q, scale, zero])
        }
        values[i] = [layout == .nchw && rank(i) != 4 ? .native : layout: name]
    }

    /// A quantized tensor's scale and zero point as constants (per tensor: activations are quantized per tensor).
    private mutating func quantization(_ t: TensorInfo) -> (scale: String, zero: String) {
        let scale = constant(Tensor(shape: [], floats: [t.scales.first ?? 1]), "\(t.name)_scale")
        let zero = constant(Tensor(shape: [], int8s: [Int8(clamping: t.zeroPoints.first ?? 0)]), "\(t.name)_zero_point")
        return (scale, zero)
    }

    /// `value` (the int8 graph value of quantized tensor `t`) as floats.
    private mutating func dequantize(_ value: String, _ t: TensorInfo) -> String {
        let (scale, zero) = quantization(t)
        return emit("DequantizeLinear", [value, scale, zero])
    }

    /// True for a tensor with quantization scales of an integer type (int8 activations and weights, int32 biases).
    static func isQuantized(_ t: TensorInfo) -> Bool { !t.scales.isEmpty && [2, 3, 9].contains(t.type) }

    static func transposed(_ t: Tensor, _ perm: [Int]) throws -> Tensor {
        guard let y = t.permuted(perm) else { throw Unsupported(reason: "cannot transpose \(t.shape) by \(perm)") }
        return y
    }

    /// TFLite's fused activation codes as nodes after `value`.
    private mutating func activation(_ code: Int, after value: String, named: String?) throws -> String {
        switch code {
        case 0: return named.map { emit("Identity", [value], named: $0) } ?? value
        case 1: return emit("Relu", [value], named: named)
        case 2: return emit("Clip", [value, constant(Tensor(shape: [], floats: [-1]), "min"), constant(Tensor(shape: [], floats: [1]), "max")], named: named)
        case 3: return emit("Clip", [value, constant(Tensor(shape: [], floats: [0]), "min"), constant(Tensor(shape: [], floats: [6]), "max")], named: named)
        case 4: return emit("Tanh", [value], named: named)
        default: throw Unsupported(reason: "fused activation \(code) is not supported")
        }
    }

    private func option<T: FixedWidthInteger>(_ options: FlatBuffer.Table?, _ slot: Int, _ value: T) throws -> T {
        guard let options else { return value }
        return try fb.scalar(options, slot, default: value)
    }

    /// A constant's values as Ints, or an error naming what needed it.
    private func ints(_ i: Int, _ what: String) throws -> [Int] {
        guard let c = constants[i] else { throw Unsupported(reason: "\(what) must be a constant") }
        return c.ints.map { Int($0) }
    }

    /// Maps an NHWC axis to its NCHW position.
    static func nchwAxis(_ axis: Int) throws -> Int {
        guard (0..<4).contains(axis) else { throw Unsupported(reason: "axis \(axis) is out of range for a 4-D tensor") }
        return [0, 2, 3, 1][axis]
    }

    // MARK: Operators

    private mutating func convert(code: Int, custom: String?, inputs ins: [Int], outputs outs: [Int], options: FlatBuffer.Table?) throws {
        func input(_ k: Int) throws -> Int {
            guard k < ins.count, ins[k] >= 0 else { throw Unsupported(reason: "operator \(code) lacks input \(k)") }
            return ins[k]
        }
        guard let out = outs.first, out >= 0 else { throw Unsupported(reason: "operator \(code) has no output") }
        let outName = tensors[out].name
        switch code {
        case 6:  // DEQUANTIZE
            let x = try input(0)
            if let c = constants[x] {
                constants[out] = Self.isQuantized(tensors[x]) || tensors[x].type == 1 ? c : try dequantized(c, tensors[x])
            } else {
                // The input's float view is already its dequantized value.
                let layout = currentLayout(x)
                define(out, emit("Identity", [try value(x, layout)]), layout)
            }
        case 114:  // QUANTIZE (float to int8, or int8 to int8 with other parameters)
            let x = try input(0)
            let layout = currentLayout(x)
            define(out, emit("Identity", [try value(x, layout)]), layout)
        case 3, 4:  // CONV_2D, DEPTHWISE_CONV_2D
            let depthwise = code == 4
            guard rank(try input(0)) == 4, rank(out) == 4 else { throw Unsupported(reason: "a 2-D convolution needs 4-D input and output tensors") }
            let x = try value(try input(0), .nchw)
            guard let w = constants[try input(1)], w.shape.count == 4 else { throw Unsupported(reason: "convolution weights must be a constant") }
            let slots = depthwise ? (pad: 0, sw: 1, sh: 2, act: 4, dw: 5, dh: 6) : (pad: 0, sw: 1, sh: 2, act: 3, dw: 4, dh: 5)
            let weights = depthwise ? try Self.transposed(w, [3, 0, 1, 2]) : try Self.transposed(w, [0, 3, 1, 2])
            var conv = [x, constant(weights, "\(outName)_W")]
            if ins.count > 2, ins[2] >= 0 { conv.append(try value(ins[2], .native)) }
            let group = depthwise ? tensors[ins[0]].shape[3] : 1
            let padding = try option(options, slots.pad, Int8(0))
            let attrs: [(String, AttributeValue)] = [
                ("kernel_shape", .ints([weights.shape[2], weights.shape[3]])),
                ("strides", .ints([Int(try option(options, slots.sh, Int32(1))), Int(try option(options, slots.sw, Int32(1)))])),
                ("dilations", .ints([Int(try option(options, slots.dh, Int32(1))), Int(try option(options, slots.dw, Int32(1)))])),
                ("group", .int(group)), ("auto_pad", .string(padding == 1 ? "VALID" : "SAME_UPPER")),
            ]
            let y = emit("Conv", conv, attrs)
            define(out, try activation(Int(try option(options, slots.act, Int8(0))), after: y, named: fresh(outName)), .nchw)
        case 1, 17:  // AVERAGE_POOL_2D, MAX_POOL_2D
            guard rank(try input(0)) == 4 else { throw Unsupported(reason: "2-D pooling needs a 4-D input") }
            let x = try value(try input(0), .nchw)
            let attrs: [(String, AttributeValue)] = [
                ("kernel_shape", .ints([Int(try option(options, 4, Int32(1))), Int(try option(options, 3, Int32(1)))])),
                ("strides", .ints([Int(try option(options, 2, Int32(1))), Int(try option(options, 1, Int32(1)))])),
                ("auto_pad", .string(try option(options, 0, Int8(0)) == 1 ? "VALID" : "SAME_UPPER")),
            ]
            let y = emit(code == 1 ? "AveragePool" : "MaxPool", [x], attrs)
            define(out, try activation(Int(try option(options, 5, Int8(0))), after: y, named: nil), .nchw)
        case 0, 18, 41, 42, 54:  // ADD, MUL, SUB, DIV, PRELU
            let op = [0: "Add", 18: "Mul", 41: "Sub", 42: "Div", 54: "PRelu"][code]!
            let a = try input(0), b = try input(1)
            // Work NCHW when the runtime operands are 4-D; a constant operand is brought to the same broadcast.
            let runtime = [a, b].filter { constants[$0] == nil }
            let layout: Layout = !runtime.isEmpty && runtime.allSatisfy({ rank($0) == 4 }) && rank(out) == 4 ? .nchw : .native
            let operands = try [a, b].map { i in
                layout == .nchw && constants[i] != nil ? constant(try Self.broadcastNCHW(constants[i]!), tensors[i].name) : try value(i, layout)
            }
            let y = emit(op, operands)
            define(out, code == 54 ? y : try activation(Int(try option(options, 0, Int8(0))), after: y, named: nil), layout)
        case 19, 21, 20, 14, 28, 117:  // RELU, RELU6, RELU_N1_TO_1, LOGISTIC, TANH, HARD_SWISH
            let x = try input(0)
            let layout = currentLayout(x)
            let v = try value(x, layout)
            let y: String
            switch code {
            case 19: y = emit("Relu", [v])
            case 21: y = try activation(3, after: v, named: nil)
            case 20: y = try activation(2, after: v, named: nil)
            case 14: y = emit("Sigmoid", [v])
            case 28: y = emit("Tanh", [v])
            default: y = emit("HardSwish", [v])
            }
            define(out, y, layout)
        case 98:  // LEAKY_RELU
            let x = try input(0)
            let layout = currentLayout(x)
            let alpha = try options.map { try fb.float($0, 0, default: 0.2) } ?? 0.2
            define(out, emit("LeakyRelu", [try value(x, layout)], [("alpha", .float(alpha))]), layout)
        case 34, 60:  // PAD, PADV2
            let x = try input(0)
            let pads = try ints(try input(1), "PAD's paddings")
            let r = rank(x)
            guard pads.count == 2 * r else { throw Unsupported(reason: "PAD paddings \(pads) do not fit rank \(r)") }
            let layout: Layout = r == 4 ? .nchw : .native
            let order = layout == .nchw ? [0, 3, 1, 2] : Array(0..<r)
            let onnxPads = order.map { pads[2 * $0] } + order.map { pads[2 * $0 + 1] }
            var padInputs = [try value(x, layout), constant(Tensor(shape: [onnxPads.count], ints: onnxPads.map { Int64($0) }), "pads")]
            if code == 60, ins.count > 2, ins[2] >= 0 { padInputs.append(try value(ins[2], .native)) }
            define(out, emit("Pad", padInputs), layout)
        case 22 where ins.count > 1 && ins[1] >= 0 && constants[ins[1]] == nil:  // RESHAPE to a shape computed in the graph
            let x = try value(try input(0), .native)
            define(out, emit("Reshape", [x, try value(ins[1], .native)]), .native)
        case 77:  // SHAPE (int64 here; the values are the same)
            define(out, emit("Shape", [try value(try input(0), .native)]), .native)
        case 83:  // PACK
            let parts = ins.filter { $0 >= 0 }
            var axis = Int(try option(options, 1, Int32(0)))
            if axis < 0 { axis += rank(out) }
            let axes = constant(Tensor(shape: [1], ints: [Int64(axis)]), "axes")
            let unsqueezed = try parts.map { emit("Unsqueeze", [try value($0, .native), axes]) }
            define(out, emit("Concat", unsqueezed, [("axis", .int(axis))]), .native)
        case 45:  // STRIDED_SLICE
            let x = try input(0)
            let begin = try ints(try input(1), "STRIDED_SLICE's begin"), end = try ints(try input(2), "STRIDED_SLICE's end")
            let strides = try ints(try input(3), "STRIDED_SLICE's strides")
            let r = rank(x)
            guard begin.count == r, end.count == r, strides.count == r, !strides.contains(0) else {
                throw Unsupported(reason: "STRIDED_SLICE's begin, end and strides do not fit rank \(r)")
            }
            let beginMask = Int(try option(options, 0, Int32(0))), endMask = Int(try option(options, 1, Int32(0)))
            let ellipsisMask = try option(options, 2, Int32(0)), newAxisMask = try option(options, 3, Int32(0))
            let shrinkMask = Int(try option(options, 4, Int32(0)))
            guard ellipsisMask == 0, newAxisMask == 0, try option(options, 5, UInt8(0)) == 0 else {
                throw Unsupported(reason: "STRIDED_SLICE with an ellipsis, new axes or offsets is not supported")
            }
            let far = Int64(Int32.max), near = Int64(Int32.min)
            var starts: [Int64] = [], ends: [Int64] = []
            for d in 0..<r {
                let forward = strides[d] > 0
                starts.append(beginMask & (1 << d) != 0 ? (forward ? 0 : far) : Int64(begin[d]))
                if shrinkMask & (1 << d) != 0 {
                    ends.append(begin[d] == -1 ? far : Int64(begin[d] + 1))
                } else {
                    ends.append(endMask & (1 << d) != 0 ? (forward ? far : near) : Int64(end[d]))
                }
            }
            func list(_ v: [Int64], _ base: String) -> String { constant(Tensor(shape: [v.count], ints: v), base) }
            var y = emit("Slice", [try value(x, .native), list(starts, "starts"), list(ends, "ends"), list((0..<r).map { Int64($0) }, "axes"),
                                   list(strides.map { Int64($0) }, "steps")])
            let shrunk = (0..<r).filter { shrinkMask & (1 << $0) != 0 }
            if !shrunk.isEmpty { y = emit("Squeeze", [y, list(shrunk.map { Int64($0) }, "axes")]) }
            define(out, y, .native)
        case 22:  // RESHAPE
            let x = try value(try input(0), .native)
            let shape = ins.count > 1 && ins[1] >= 0 ? try ints(ins[1], "RESHAPE's shape")
                : try options.flatMap { try fb.int32s($0, 0) } ?? tensors[out].shape
            guard !shape.contains(0) else { throw Unsupported(reason: "RESHAPE to a shape with a zero dimension \(shape)") }
            define(out, emit("Reshape", [x, constant(Tensor(shape: [shape.count], ints: shape.map { Int64($0) }), "shape")]), .native)
        case 9:  // FULLY_CONNECTED
            let x = try input(0)
            guard let w = constants[try input(1)], w.shape.count == 2 else { throw Unsupported(reason: "FULLY_CONNECTED weights must be a 2-D constant") }
            var a = try value(x, .native)
            if rank(x) != 2 {
                a = emit("Reshape", [a, constant(Tensor(shape: [2], ints: [-1, Int64(w.shape[1])]), "shape")])
            }
            var gemm = [a, constant(w, "\(outName)_W")]
            if ins.count > 2, ins[2] >= 0 { gemm.append(try value(ins[2], .native)) }
            var y = emit("Gemm", gemm, [("transB", .int(1))])
            if try option(options, 2, UInt8(0)) != 0, rank(x) > 2 {
                let shape = tensors[out].shape.map { Int64($0) }
                y = emit("Reshape", [y, constant(Tensor(shape: [shape.count], ints: shape), "shape")])
            }
            define(out, try activation(Int(try option(options, 0, Int8(0))), after: y, named: nil), .native)
        case 25:  // SOFTMAX
            var x = try value(try input(0), .native)
            let beta = try options.map { try fb.float($0, 0, default: 1) } ?? 1
            if beta != 1 { x = emit("Mul", [x, constant(Tensor(shape: [], floats: [beta]), "beta")]) }
            define(out, emit("Softmax", [x], [("axis", .int(-1))]), .native)
        case 2:  // CONCATENATION
            let parts = ins.filter { $0 >= 0 }
            var axis = Int(try option(options, 0, Int32(0)))
            if axis < 0 { axis += rank(out) }
            let layout: Layout = rank(out) == 4 ? .nchw : .native
            let values = try parts.map { try value($0, layout) }
            let y = emit("Concat", values, [("axis", .int(layout == .nchw ? try Self.nchwAxis(axis) : axis))])
            define(out, try activation(Int(try option(options, 1, Int8(0))), after: y, named: nil), layout)
        case 40:  // MEAN
            let x = try input(0)
            let keep = try option(options, 0, UInt8(0)) != 0
            var axes = try ints(try input(1), "MEAN's axes").map { $0 < 0 ? $0 + rank(x) : $0 }
            let layout: Layout = rank(x) == 4 && keep ? .nchw : .native
            if layout == .nchw { axes = try axes.map(Self.nchwAxis) }
            define(out, emit("ReduceMean", [try value(x, layout)], [("axes", .ints(axes)), ("keepdims", .int(keep ? 1 : 0))]), layout)
        case 43:  // SQUEEZE
            let x = try input(0)
            let dims = try options.flatMap { try fb.int32s($0, 0) } ?? []
            let axes = dims.isEmpty ? tensors[x].shape.indices.filter { tensors[x].shape[$0] == 1 } : dims.map { $0 < 0 ? $0 + rank(x) : $0 }
            define(out, emit("Squeeze", [try value(x, .native), constant(Tensor(shape: [axes.count], ints: axes.map { Int64($0) }), "axes")]), .native)
        case 39:  // TRANSPOSE
            let perm = try ints(try input(1), "TRANSPOSE's permutation")
            define(out, emit("Transpose", [try value(try input(0), .native)], [("perm", .ints(perm))]), .native)
        case 23, 97:  // RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR
            let x = try input(0)
            let size = try ints(try input(1), "the resize size")
            guard rank(x) == 4, size.count == 2 else { throw Unsupported(reason: "resizing needs a 4-D input and a [height, width] size") }
            let slots = code == 23 ? (align: 2, half: 3) : (align: 0, half: 1)
            let align = try option(options, slots.align, UInt8(0)) != 0, half = try option(options, slots.half, UInt8(0)) != 0
            let shape = tensors[x].shape
            let sizes = Tensor(shape: [4], ints: [Int64(shape[0]), Int64(shape[3]), Int64(size[0]), Int64(size[1])])
            var attrs: [(String, AttributeValue)] = [("mode", .string(code == 23 ? "linear" : "nearest"))]
            if code == 23 {
                attrs.append(("coordinate_transformation_mode", .string(align ? "align_corners" : half ? "half_pixel" : "asymmetric")))
            } else {
                attrs.append(("coordinate_transformation_mode", .string(align ? "align_corners" : half ? "tf_half_pixel_for_nn" : "asymmetric")))
                attrs.append(("nearest_mode", .string(align || half ? "round_prefer_ceil" : "floor")))
            }
            define(out, emit("Resize", [try value(x, .nchw), "", "", constant(sizes, "sizes")], attrs), .nchw)
        case 32:
            throw Unsupported(reason: "custom operator \"\(custom ?? "?")\" is not a TFLite builtin; the importer cannot read it")
        default:
            throw Unsupported(reason: "TFLite builtin operator \(code) is not supported by the importer")
        }
    }

    /// A constant operand of an element-wise op on NCHW data: TFLite broadcasts from the last (channel) axis, so a
    /// [C] or [..., C] constant becomes [C, 1, 1] (or its 4-D NCHW transpose).
    static func broadcastNCHW(_ c: Tensor) throws -> Tensor {
        switch c.shape.count {
        case 0: return c
        case 4: return try transposed(c, [0, 3, 1, 2])
        default:
            guard c.shape.dropLast().allSatisfy({ $0 == 1 }) else { throw Unsupported(reason: "an element-wise constant of shape \(c.shape) on 4-D data") }
            return Tensor(shape: [c.shape.last ?? 1, 1, 1], floats: c.floats)
        }
    }

    /// An int8/uint8 constant's float values from its scale and zero point (per tensor or per channel); float16 is
    /// already widened.
    func dequantized(_ c: Tensor, _ t: TensorInfo) throws -> Tensor {
        if t.type == 1 || t.type == 0 { return c }
        if c.elementType == .float32, t.scales.isEmpty { return c }
        guard !t.scales.isEmpty else { throw Unsupported(reason: "DEQUANTIZE of \(t.name) without a scale") }
        let values = c.ints
        if t.scales.count == 1 {
            let zero = Float(t.zeroPoints.first ?? 0)
            return Tensor(shape: c.shape, floats: values.map { (Float($0) - zero) * t.scales[0] })
        }
        let axis = t.quantizedDimension
        guard axis < c.shape.count, c.shape[axis] == t.scales.count else { throw Unsupported(reason: "per-channel scales of \(t.name) do not fit its shape") }
        let inner = c.shape.suffix(from: axis + 1).reduce(1, *), channels = c.shape[axis]
        return Tensor(shape: c.shape, floats: values.enumerated().map { i, v in
            let ch = (i / inner) % channels
            return (Float(v) - Float(t.zeroPoints.count > ch ? t.zeroPoints[ch] : 0)) * t.scales[ch]
        })
    }
}
