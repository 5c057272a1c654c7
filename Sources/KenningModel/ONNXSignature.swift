import Foundation
import KenningCore
import Synchronization

/// What a caller needs of an ONNX model without its weights: the runtime inputs and outputs, and what it computes in.
///
/// Read in one pass over the file that decodes the graph's declared inputs and outputs, the operator types and the
/// weights' element types, and skips every tensor's data — a fraction of `ONNX.load` on a large model. A damaged file
/// fails here with the same kind of message as a full load; the full checks happen when a runtime loads the model.
public struct ONNXSignature: Sendable, Equatable {
    /// The graph's inputs that are not initializers, and its outputs.
    public var io: IOSpec
    /// "int8" (quantized operators), "float16" (float16 weights) or "float32".
    public var precision: String
}

extension ONNX {
    /// Operators that make a graph integer-quantized.
    static let quantizedOperators: Set<String> = ["QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger"]

    /// Signatures already read by this process, by path, with the file's size and modification time they were read at.
    private static let signatures = Mutex<[String: (stamp: [Int], signature: ONNXSignature)]>([:])

    /// The signature of the ONNX model at `path` (remembered per file while it is unchanged).
    public static func signature(path: String) throws(KenningError) -> ONNXSignature {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw .badInput("model file not found: \(path)", file: path, fix: "check the model path, or run the script that creates it")
        }
        let stamp = [(attributes[.size] as? Int) ?? -1,
                     Int(((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0) * 1e6)]
        if let known = signatures.withLock({ $0[path] }), known.stamp == stamp { return known.signature }
        guard let file = MappedFile(path: path) else {
            throw .badInput("cannot read model file \(path)", file: path, fix: "check the file's permissions")
        }
        let signature: ONNXSignature
        do {
            signature = try withExtendedLifetime(file) { () throws(KenningError) -> ONNXSignature in try readSignature(file.bytes[...]) }
        } catch {
            throw error.inFile(path)
        }
        signatures.withLock { $0[path] = (stamp, signature) }
        return signature
    }

    /// What the model at `path` computes in; nil when the file is not a readable ONNX model.
    public static func precision(path: String) -> String? {
        (try? signature(path: path))?.precision
    }

    static func readSignature<Bytes>(_ bytes: Bytes) throws(KenningError) -> ONNXSignature
        where Bytes: RandomAccessCollection, Bytes.Element == UInt8, Bytes.Index == Int, Bytes.SubSequence == Bytes
    {
        guard !bytes.isEmpty else {
            throw .badInput("not an ONNX model: the file is empty", fix: "re-export or re-download the model")
        }
        var context = "the model"
        do throws(ProtoMalformed) {
            var model = ProtoReader(bytes)
            var irVersion: Int64 = 0
            var graph: Bytes?
            while let (field, value) = try model.next() {
                if field == 1 { irVersion = try value.int() } else if field == 7 { graph = try value.bytes() }
            }
            guard let graph, irVersion > 0 else {
                throw ProtoMalformed(reason: graph == nil ? "no graph found" : "missing ir_version")
            }
            var inputs: [ValueInfo] = [], outputs: [ValueInfo] = []
            var weights = Set<String>()
            var quantized = false, float16 = false
            var nodes = 0
            var r = ProtoReader(graph)
            while let (field, value) = try r.next() {
                switch field {
                case 1:
                    context = "node #\(nodes)"
                    nodes += 1
                    if quantizedOperators.contains(try checkNode(try value.bytes(), context: &context, depth: 0)) { quantized = true }
                case 5:
                    context = "initializer #\(weights.count)"
                    let (name, type) = try checkTensor(try value.bytes(), context: &context)
                    weights.insert(name)
                    if type == 10 { float16 = true }
                case 15:
                    throw ProtoMalformed(reason: "sparse initializers are not supported")
                case 11: inputs.append(try decodeValueInfo(try value.bytes()))
                case 12: outputs.append(try decodeValueInfo(try value.bytes()))
                default: break
                }
            }
            return ONNXSignature(io: IOSpec(inputs: inputs.filter { !weights.contains($0.name) }.map(\.tensorSpec), outputs: outputs.map(\.tensorSpec)),
                                 precision: quantized ? "int8" : float16 ? "float16" : "float32")
        } catch {
            throw .badInput("corrupt or non-ONNX model: \(error.reason) while reading \(context)",
                            fix: "re-export the model as ONNX; the file is damaged or is another format")
        }
    }

    // The structure checks of a full decode (`decodeGraph`, `decodeNode`, `decodeTensor`), on sizes instead of values.

    /// A node's op type, after checking its attributes (and their subgraphs, to `maxSubgraphDepth`).
    static func checkNode<Bytes>(_ bytes: Bytes, context: inout String, depth: Int) throws(ProtoMalformed) -> String
        where Bytes: RandomAccessCollection, Bytes.Element == UInt8, Bytes.Index == Int, Bytes.SubSequence == Bytes
    {
        var r = ProtoReader(bytes)
        var opType = ""
        while let (field, value) = try r.next() {
            switch field {
            case 3: context = "node \"\(try value.string())\""
            case 4: opType = try value.string()
            case 5: try checkAttribute(try value.bytes(), context: context, depth: depth)
            default: break
            }
        }
        if opType.isEmpty { throw ProtoMalformed(reason: "a node without op_type") }
        return opType
    }

    static func checkAttribute<Bytes>(_ bytes: Bytes, context: String, depth: Int) throws(ProtoMalformed)
        where Bytes: RandomAccessCollection, Bytes.Element == UInt8, Bytes.Index == Int, Bytes.SubSequence == Bytes
    {
        var r = ProtoReader(bytes)
        var name = ""
        var inner = context
        while let (field, value) = try r.next() {
            switch field {
            case 1: name = try value.string()
            case 5: _ = try checkTensor(try value.bytes(), context: &inner)
            case 6:
                guard depth < maxSubgraphDepth else {
                    throw ProtoMalformed(reason: "subgraphs nested more than \(maxSubgraphDepth) deep (in \(context))")
                }
                var graph = ProtoReader(try value.bytes())
                var nodes = 0
                while let (g, item) = try graph.next() {
                    if g == 1 {
                        var nodeContext = "node #\(nodes) of subgraph \"\(name)\""
                        nodes += 1
                        _ = try checkNode(try item.bytes(), context: &nodeContext, depth: depth + 1)
                    } else if g == 5 {
                        _ = try checkTensor(try item.bytes(), context: &inner)
                    } else if g == 15 {
                        throw ProtoMalformed(reason: "sparse initializers are not supported")
                    }
                }
            case 11: throw ProtoMalformed(reason: "lists of subgraphs (attribute \"\(name)\") are not supported (in \(context))")
            default: break
            }
        }
    }

    /// A tensor's name and ONNX data type, after checking that its data holds as many values as its shape needs.
    static func checkTensor<Bytes>(_ bytes: Bytes, context: inout String) throws(ProtoMalformed) -> (String, Int)
        where Bytes: RandomAccessCollection, Bytes.Element == UInt8, Bytes.Index == Int, Bytes.SubSequence == Bytes
    {
        var r = ProtoReader(bytes)
        var dims: [Int] = []
        var type = 1, name = ""
        var rawBytes: Int?
        var floats = 0, int32s = 0, int64s = 0, doubles = 0
        var external = false
        while let (field, value) = try r.next() {
            switch field {
            case 1: dims += try value.ints().map { Int($0) }
            case 2: type = Int(try value.int())
            case 4: floats += try value.fixedWidthCount(4)
            case 5: int32s += try value.ints().count
            case 7: int64s += try value.ints().count
            case 8:
                name = try value.string()
                context = "tensor \"\(name)\""
            case 9: rawBytes = try value.bytes().count
            case 10: doubles += try value.fixedWidthCount(8)
            case 14: external = try value.int() == 1
            default: break
            }
        }
        let (count, et) = try tensorHeader(name: name, dims: dims, type: type, external: external)
        let values: Int
        switch et {
        case .float32: values = rawBytes.map { $0 / 4 } ?? floats
        case .float64:
            guard (rawBytes ?? 0) % 8 == 0 else { throw ProtoMalformed(reason: "raw data of \"\(name)\" has a bad length") }
            values = rawBytes.map { $0 / 8 } ?? doubles
        case .float16: values = rawBytes.map { $0 / 2 } ?? int32s
        case .int64, .int32, .int16, .int8, .uint8, .uint16, .bool:
            let width: Int = [.int64: 8, .int32: 4, .int16: 2, .uint16: 2][et] ?? 1
            guard (rawBytes ?? 0) % width == 0 else { throw ProtoMalformed(reason: "raw data of \"\(name)\" has a bad length") }
            values = rawBytes.map { $0 / width } ?? (et == .int64 ? int64s : int32s)
        case .string:
            throw ProtoMalformed(reason: "string tensor \"\(name)\" is not supported")
        }
        guard values == count else { throw ProtoMalformed(reason: "tensor \"\(name)\" has \(values) values but its shape \(dims) needs \(count)") }
        return (name, type)
    }
}
