import Foundation
import KenningCore

/// Reads and writes ONNX `ModelProto` files with our own protobuf decoding.
public enum ONNX {
    public static func load(path: String) throws(KenningError) -> Model {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .badInput("model file not found: \(path)", file: path, fix: "check the model path, or run the script that creates it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badInput("cannot read model file \(path)", file: path, fix: "check the file's permissions")
        }
        do {
            return try decode([UInt8](data))
        } catch {
            throw error.inFile(path)
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(KenningError) -> Model {
        guard !bytes.isEmpty else {
            throw .badInput("not an ONNX model: the file is empty", fix: "re-export or re-download the model")
        }
        var context = "the model"
        do {
            var r = ProtoReader(bytes[...])
            var model = Model(irVersion: 0, opsets: [], graph: Graph(name: "", nodes: [], initializers: [], inputs: [], outputs: []))
            var sawGraph = false
            while let (field, value) = try r.next() {
                switch field {
                case 1: model.irVersion = Int(try value.int())
                case 2: model.producerName = try value.string()
                case 3: model.producerVersion = try value.string()
                case 7:
                    model.graph = try decodeGraph(try value.bytes(), context: &context)
                    sawGraph = true
                case 8:
                    var o = ProtoReader(try value.bytes())
                    var set = OperatorSet(domain: "", version: 1)
                    while let (f, v) = try o.next() {
                        if f == 1 { set.domain = try v.string() } else if f == 2 { set.version = Int(try v.int()) }
                    }
                    model.opsets.append(set)
                default: break
                }
            }
            guard sawGraph, model.irVersion > 0 else {
                throw ProtoMalformed(reason: sawGraph ? "missing ir_version" : "no graph found")
            }
            if model.opsets.isEmpty { model.opsets = [OperatorSet(domain: "", version: 1)] }
            return model
        } catch let e as ProtoMalformed {
            throw .badInput("corrupt or non-ONNX model: \(e.reason) while reading \(context)",
                            fix: "re-export the model as ONNX; the file is damaged or is another format")
        } catch {
            throw .badInput("corrupt model: \(error)")
        }
    }

    /// Subgraphs nest at most this deep (If within If …); deeper is rejected rather than recursed into.
    static let maxSubgraphDepth = 16

    static func decodeGraph(_ bytes: ArraySlice<UInt8>, context: inout String, depth: Int = 0) throws -> Graph {
        var r = ProtoReader(bytes)
        var g = Graph(name: "", nodes: [], initializers: [], inputs: [], outputs: [])
        var inits: [(String, Tensor)] = []
        while let (field, value) = try r.next() {
            switch field {
            case 1:
                context = "node #\(g.nodes.count)"
                let node = try decodeNode(try value.bytes(), context: &context, depth: depth)
                g.nodes.append(node)
            case 2: g.name = try value.string()
            case 5:
                context = "initializer #\(inits.count)"
                let (name, t) = try decodeTensor(try value.bytes(), context: &context)
                inits.append((name, t))
            case 15:
                throw ProtoMalformed(reason: "sparse initializers are not supported")
            case 11: g.inputs.append(try decodeValueInfo(try value.bytes()))
            case 12: g.outputs.append(try decodeValueInfo(try value.bytes()))
            case 13: g.valueInfo.append(try decodeValueInfo(try value.bytes()))
            default: break
            }
        }
        g.initializers = Dictionary(inits, uniquingKeysWith: { a, _ in a })
        g.initializerOrder = inits.map(\.0)
        context = "the graph"
        return g
    }

    static func decodeNode(_ bytes: ArraySlice<UInt8>, context: inout String, depth: Int) throws -> Node {
        var r = ProtoReader(bytes)
        var n = Node(name: "", opType: "", inputs: [], outputs: [])
        while let (field, value) = try r.next() {
            switch field {
            case 1: n.inputs.append(try value.string())
            case 2: n.outputs.append(try value.string())
            case 3:
                n.name = try value.string()
                context = "node \"\(n.name)\""
            case 4: n.opType = try value.string()
            case 7: n.domain = try value.string()
            case 5:
                if let a = try decodeAttribute(try value.bytes(), context: context, depth: depth) { n.attributes.append(a) }
            default: break
            }
        }
        if n.opType.isEmpty { throw ProtoMalformed(reason: "a node without op_type") }
        return n
    }

    static func decodeAttribute(_ bytes: ArraySlice<UInt8>, context: String, depth: Int) throws -> (String, AttributeValue)? {
        var r = ProtoReader(bytes)
        var name = ""
        var type = 0
        var f: Float = 0, i = 0, s = "", t: Tensor?, g: Graph?
        var floats: [Float] = [], ints: [Int] = [], strings: [String] = []
        var ctx = context
        while let (field, value) = try r.next() {
            switch field {
            case 1: name = try value.string()
            case 20: type = Int(try value.int())
            case 2: f = try value.float()
            case 3: i = Int(try value.int())
            case 4: s = try value.string()
            case 5: t = try decodeTensor(try value.bytes(), context: &ctx).1
            case 7: floats += try value.floats()
            case 8: ints += try value.ints().map { Int($0) }
            case 9: strings.append(try value.string())
            case 6:
                guard depth < maxSubgraphDepth else {
                    throw ProtoMalformed(reason: "subgraphs nested more than \(maxSubgraphDepth) deep (in \(context))")
                }
                var inner = "subgraph \"\(name)\" of \(context)"
                g = try decodeGraph(try value.bytes(), context: &inner, depth: depth + 1)
            case 11: throw ProtoMalformed(reason: "lists of subgraphs (attribute \"\(name)\") are not supported (in \(context))")
            default: break
            }
        }
        switch type {
        case 1: return (name, .float(f))
        case 2: return (name, .int(i))
        case 3: return (name, .string(s))
        case 4: return t.map { (name, .tensor($0)) }
        case 5: return g.map { (name, .graph($0)) }
        case 6: return (name, .floats(floats))
        case 7: return (name, .ints(ints))
        case 8: return (name, .strings(strings))
        default: return nil
        }
    }

    static func decodeValueInfo<Bytes>(_ bytes: Bytes) throws(ProtoMalformed) -> ValueInfo
        where Bytes: RandomAccessCollection, Bytes.Element == UInt8, Bytes.Index == Int, Bytes.SubSequence == Bytes
    {
        var r = ProtoReader(bytes)
        var info = ValueInfo(name: "", elementType: .float32, shape: nil)
        while let (field, value) = try r.next() {
            if field == 1 { info.name = try value.string() }
            guard field == 2 else { continue }
            var tr = ProtoReader(try value.bytes())
            while let (tf, tv) = try tr.next() {
                guard tf == 1 else { continue }
                var tt = ProtoReader(try tv.bytes())
                while let (f, v) = try tt.next() {
                    if f == 1 {
                        let code = Int(try v.int())
                        guard let et = ElementType(onnxCode: code) else {
                            throw ProtoMalformed(reason: "unknown element type \(code) for \"\(info.name)\"")
                        }
                        info.elementType = et
                    } else if f == 2 {
                        var dims: [Dimension] = []
                        var sr = ProtoReader(try v.bytes())
                        while let (sf, sv) = try sr.next() {
                            guard sf == 1 else { continue }
                            var dr = ProtoReader(try sv.bytes())
                            var dim = Dimension.symbolic("")
                            while let (df, dv) = try dr.next() {
                                if df == 1 { dim = .fixed(Int(try dv.int())) } else if df == 2 { dim = .symbolic(try dv.string()) }
                            }
                            dims.append(dim)
                        }
                        info.shape = dims
                    }
                }
            }
        }
        return info
    }

    /// A tensor's value count and element type from its header fields, after the checks every reader of tensors makes.
    static func tensorHeader(name: String, dims: [Int], type: Int, external: Bool) throws(ProtoMalformed) -> (Int, ElementType) {
        if external { throw ProtoMalformed(reason: "tensor \"\(name)\" keeps its data in an external file, which is not supported") }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw ProtoMalformed(reason: "negative dimension in tensor \"\(name)\"") }
        var count = 1
        for d in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= 1 << 40 else { throw ProtoMalformed(reason: "tensor \"\(name)\" has an impossible shape \(dims)") }
            count = product
        }
        guard let et = ElementType(onnxCode: type) else { throw ProtoMalformed(reason: "unknown data type \(type) in \"\(name)\"") }
        return (count, et)
    }

    static func decodeTensor(_ bytes: ArraySlice<UInt8>, context: inout String) throws -> (String, Tensor) {
        var r = ProtoReader(bytes)
        var dims: [Int] = []
        var type = 1
        var name = ""
        var raw: ArraySlice<UInt8>?
        var floatData: [Float] = [], int32Data: [Int64] = [], int64Data: [Int64] = [], doubleData: [Double] = []
        var external = false
        while let (field, value) = try r.next() {
            switch field {
            case 1: dims += try value.ints().map { Int($0) }
            case 2: type = Int(try value.int())
            case 4: floatData += try value.floats()
            case 5: int32Data += try value.ints()
            case 7: int64Data += try value.ints()
            case 8:
                name = try value.string()
                context = "tensor \"\(name)\""
            case 9: raw = try value.bytes()
            case 10: doubleData += try value.doubles()
            case 14: external = try value.int() == 1
            default: break
            }
        }
        let (count, et) = try tensorHeader(name: name, dims: dims, type: type, external: external)
        func check(_ n: Int) throws {
            guard n == count else {
                throw ProtoMalformed(reason: "tensor \"\(name)\" has \(n) values but its shape \(dims) needs \(count)")
            }
        }
        switch et {
        case .float32:
            let values = raw.map(littleEndianFloats) ?? floatData
            try check(values.count)
            return (name, Tensor(shape: dims, floats: values))
        case .float64:
            guard (raw?.count ?? 0) % 8 == 0 else { throw ProtoMalformed(reason: "raw data of \"\(name)\" has a bad length") }
            let values = raw.map { b in stride(from: b.startIndex, to: b.endIndex, by: 8).map { i in
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
                return Float(Double(bitPattern: v))
            } } ?? doubleData.map { Float($0) }
            try check(values.count)
            return (name, Tensor(shape: dims, floats: values))
        case .float16:
            let bits: [UInt16] = raw.map { b in stride(from: b.startIndex, to: b.endIndex - 1, by: 2).map { UInt16(b[$0]) | UInt16(b[$0 + 1]) << 8 } }
                ?? int32Data.map { UInt16(truncatingIfNeeded: $0) }
            try check(bits.count)
            return (name, Tensor(shape: dims, float16Bits: bits))
        case .int64, .int32, .int16, .int8, .uint8, .uint16, .bool:
            var values: [Int64]
            if let b = raw {
                let width: Int = [.int64: 8, .int32: 4, .int16: 2, .uint16: 2][et] ?? 1
                guard b.count % width == 0 else { throw ProtoMalformed(reason: "raw data of \"\(name)\" has a bad length") }
                values = stride(from: b.startIndex, to: b.endIndex, by: width).map { i in
                    var v: UInt64 = 0
                    for k in 0..<width { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
                    switch et {
                    case .int64: return Int64(bitPattern: v)
                    case .int32: return Int64(Int32(truncatingIfNeeded: v))
                    case .int16: return Int64(Int16(truncatingIfNeeded: v))
                    case .int8: return Int64(Int8(truncatingIfNeeded: v))
                    default: return Int64(v)
                    }
                }
            } else {
                values = et == .int64 ? int64Data : int32Data
            }
            try check(values.count)
            if et == .int8 { return (name, Tensor(shape: dims, int8s: values.map { Int8(truncatingIfNeeded: $0) })) }
            return (name, Tensor(shape: dims, ints: values))
        case .string:
            throw ProtoMalformed(reason: "string tensor \"\(name)\" is not supported")
        }
    }

    // MARK: - Writing

    public static func encode(_ model: Model) -> [UInt8] {
        var w = ProtoWriter()
        w.int(1, Int64(model.irVersion))
        if !model.producerName.isEmpty { w.string(2, model.producerName) }
        if !model.producerVersion.isEmpty { w.string(3, model.producerVersion) }
        w.message(7) { encodeGraph(model.graph, into: &$0) }
        for set in model.opsets {
            w.message(8) { o in
                if !set.domain.isEmpty { o.string(1, set.domain) }
                o.int(2, Int64(set.version))
            }
        }
        return w.bytes
    }

    public static func save(_ model: Model, to path: String) throws(KenningError) {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(encode(model)).write(to: url, options: .atomic)
        } catch {
            throw .badInput("cannot write model to \(path): \(error.localizedDescription)", file: path,
                            fix: "choose a writable location for compiled_model_path")
        }
    }

    static func encodeGraph(_ g: Graph, into w: inout ProtoWriter) {
        for n in g.nodes { w.message(1) { encodeNode(n, into: &$0) } }
        w.string(2, g.name)
        for name in g.initializerOrder {
            if let t = g.initializers[name] { w.message(5) { encodeTensor(t, name: name, into: &$0) } }
        }
        for v in g.inputs { w.message(11) { encodeValueInfo(v, into: &$0) } }
        for v in g.outputs { w.message(12) { encodeValueInfo(v, into: &$0) } }
        for v in g.valueInfo { w.message(13) { encodeValueInfo(v, into: &$0) } }
    }

    static func encodeNode(_ n: Node, into w: inout ProtoWriter) {
        for i in n.inputs { w.string(1, i) }
        for o in n.outputs { w.string(2, o) }
        if !n.name.isEmpty { w.string(3, n.name) }
        w.string(4, n.opType)
        for (name, value) in n.attributes {
            w.message(5) { a in
                a.string(1, name)
                switch value {
                case let .float(f): a.float(2, f); a.int(20, 1)
                case let .int(i): a.int(3, Int64(i)); a.int(20, 2)
                case let .string(s): a.string(4, s); a.int(20, 3)
                case let .tensor(t): a.message(5) { encodeTensor(t, name: "", into: &$0) }; a.int(20, 4)
                case let .floats(fs): for f in fs { a.float(7, f) }; a.int(20, 6)
                case let .ints(isv): for i in isv { a.int(8, Int64(i)) }; a.int(20, 7)
                case let .strings(ss): for s in ss { a.string(9, s) }; a.int(20, 8)
                case let .graph(g): a.message(6) { encodeGraph(g, into: &$0) }; a.int(20, 5)
                }
            }
        }
        if !n.domain.isEmpty { w.string(7, n.domain) }
    }

    static func encodeTensor(_ t: Tensor, name: String, into w: inout ProtoWriter) {
        if !t.shape.isEmpty { w.packedInts(1, t.shape.map { Int64($0) }) }
        w.int(2, Int64(t.elementType.onnxCode))
        if !name.isEmpty { w.string(8, name) }
        var raw: [UInt8] = []
        switch t.storage {
        case let .float(f):
            raw.reserveCapacity(f.count * 4)
            for v in f { let b = v.bitPattern; for k in 0..<4 { raw.append(UInt8((b >> (8 * UInt32(k))) & 0xFF)) } }
        case let .int64(i):
            raw.reserveCapacity(i.count * 8)
            for v in i { let b = UInt64(bitPattern: v); for k in 0..<8 { raw.append(UInt8((b >> (8 * UInt64(k))) & 0xFF)) } }
        case let .float16(h):
            for v in h { raw.append(UInt8(v & 0xFF)); raw.append(UInt8(v >> 8)) }
        case let .int8(i):
            raw = i.map { UInt8(bitPattern: $0) }
        case let .int32(i):
            raw.reserveCapacity(i.count * 4)
            for v in i { let b = UInt32(bitPattern: v); for k in 0..<4 { raw.append(UInt8((b >> (8 * UInt32(k))) & 0xFF)) } }
        }
        w.bytes(9, raw)
    }

    static func encodeValueInfo(_ v: ValueInfo, into w: inout ProtoWriter) {
        w.string(1, v.name)
        w.message(2) { type in
            type.message(1) { tt in
                tt.int(1, Int64(v.elementType.onnxCode))
                if let shape = v.shape {
                    tt.message(2) { s in
                        for d in shape {
                            s.message(1) { dm in
                                switch d {
                                case let .fixed(n): dm.int(1, Int64(n))
                                case let .symbolic(p): if !p.isEmpty { dm.string(2, p) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
