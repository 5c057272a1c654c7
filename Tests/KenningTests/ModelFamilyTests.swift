import Foundation
import KenningBlocks
import KenningCore
import KenningModel
import KenningNative
import Testing

/// One model of each family the native runtime targets (trained models from PyPI wheels and architectures built with
/// seeded weights), with real inputs of any element type and ONNX Runtime's outputs, prepared once by
/// scripts/make-model-families.py into build/model-families.
enum FamilySet {
    struct Entry: Sendable {
        let name: String
        let model: String
        let inputs: [(name: String, dtype: String, shape: [Int])]
        let outputShapes: [[Int]]
    }

    static let directory = repo("build/model-families")

    static let prepared: Result<[Entry], CNNTestSet.PreparationError> =
        CNNTestSet.preparedManifest(script: "scripts/make-model-families.py", directory: directory).map { list in
            list.compactMap { e in
                guard let name = e["name"] as? String, let model = e["model"] as? String, let inputs = e["inputs"] as? [[String: Any]],
                      let outputs = e["output_shapes"] as? [[Int]] else { return nil }
                let described = inputs.compactMap { i -> (String, String, [Int])? in
                    guard let n = i["name"] as? String, let t = i["dtype"] as? String, let s = i["shape"] as? [Int] else { return nil }
                    return (n, t, s)
                }
                return Entry(name: name, model: model.hasPrefix("/") ? model : repo(model), inputs: described, outputShapes: outputs)
            }
        }

    static func entry(_ name: String) throws -> Entry {
        try #require(try prepared.get().first { $0.name == name }, "\(name) is in build/model-families")
    }

    /// The K-th input of `entry`, in its element type.
    static func input(_ entry: Entry, _ k: Int) throws -> Tensor {
        let (_, dtype, shape) = entry.inputs[k]
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/\(entry.name).in\(k).bin"))
        switch dtype {
        case "float32": return Tensor(shape: shape, floats: data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
        case "int64": return Tensor(shape: shape, ints: data.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) })
        case "int32": return Tensor(shape: shape, int32s: data.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) })
        default: throw KenningError.failure("\(entry.name): input \(k) has dtype \(dtype), which the test set does not read")
        }
    }

    static func expected(_ entry: Entry) throws -> [[Float]] {
        try entry.outputShapes.indices.map { try CNNTestSet.floats(directory + "/\(entry.name).out\($0).f32") }
    }
}

/// Each family on every backend: the same output shapes as ONNX Runtime, values within 1e-4 relative (to the output's
/// largest magnitude, at least 1), and the same decision (argmax) where the output is a score vector.
@Suite(.serialized) struct ModelFamiliesAgainstONNXRuntime {
    static let names = ["silero_vad_16k", "silero_vad_8k", "silero_vad_sequence", "magika", "yolov8_nudenet", "mobilenetv3_small",
                        "efficientnet_lite0", "vit_tiny", "bert_tiny", "gru_kws"]

    @Test("each model family runs on every backend and agrees with ONNX Runtime", arguments: names)
    func family(_ name: String) throws {
        let entry = try FamilySet.entry(name)
        let model = try ONNX.load(path: entry.model)
        let inputs = try entry.inputs.indices.map { try FamilySet.input(entry, $0) }
        let expected = try FamilySet.expected(entry)
        for backend in NativeBackend.allCases where backend != .auto {
            let session = try NativeSession(model: model, threads: 2, backend: backend)
            let ys = try session.run(inputs)
            try #require(ys.count == expected.count, "\(name) on \(backend.rawValue): \(ys.count) outputs, ONNX Runtime gives \(expected.count)")
            var worst: [Float] = []
            for (k, shape) in entry.outputShapes.enumerated() {
                #expect(ys[k].shape == shape, "\(name) on \(backend.rawValue): output \(k) has shape \(ys[k].shape), ONNX Runtime \(shape)")
                guard ys[k].shape == shape else { continue }
                let scale = max(1, expected[k].map { abs($0) }.max() ?? 0)
                let error = zip(ys[k].floats, expected[k]).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
                worst.append(error)
                #expect(error <= 1e-4, "\(name) on \(backend.rawValue): output \(k) differs by \(error) (relative)")
            }
            // The decision: the top class of a score vector, or each box column's best class for the detector.
            let decisions = Self.agreement(name, ys[0].floats, expected[0], shape: entry.outputShapes[0])
            #expect(decisions == 1, "\(name) on \(backend.rawValue): decisions agree on \(decisions * 100) %")
            print("\(name) on \(backend.rawValue): max relative difference \(worst), decisions agree \(decisions * 100) %")
        }
    }

    /// The share of decisions that agree: argmax over the last axis (classifiers), over the class rows of each
    /// candidate box (YOLO's [1, 4 + classes, boxes]), or the sign of p − 0.5 (voice activity).
    static func agreement(_ name: String, _ y: [Float], _ truth: [Float], shape: [Int]) -> Double {
        guard y.count == truth.count, !truth.isEmpty else { return 0 }
        if name.hasPrefix("silero") { return Double(zip(y, truth).filter { ($0 > 0.5) == ($1 > 0.5) }.count) / Double(truth.count) }
        if name.hasPrefix("yolov8") {
            let rows = shape[1], boxes = shape[2]
            func best(_ v: [Float], _ b: Int) -> Int { (4..<rows).max { v[$0 * boxes + b] < v[$1 * boxes + b] }! }
            let confident = (0..<boxes).filter { b in (4..<rows).contains { truth[$0 * boxes + b] > 0.25 } }
            guard !confident.isEmpty else { return 0 }
            return Double(confident.filter { best(y, $0) == best(truth, $0) }.count) / Double(confident.count)
        }
        let classes = shape.last ?? 1
        let rows = truth.count / max(classes, 1)
        func argmax(_ v: [Float], _ r: Int) -> Int { (0..<classes).max { v[r * classes + $0] < v[r * classes + $1] }! }
        return Double((0..<rows).filter { argmax(y, $0) == argmax(truth, $0) }.count) / Double(max(rows, 1))
    }
}

/// If nodes: decoded with their branches, written back unchanged, resolved when planning, refused clearly otherwise.
@Suite struct ControlFlowResolution {
    /// y = If(cond) { x · 2 } else { −x }, cond computed by `condition` nodes from x.
    static func model(condition: [Node], nesting: Int = 0) -> Model {
        let then = Graph(name: "then", nodes: [Node(name: "double", opType: "Mul", inputs: ["x", "two"], outputs: ["t"])],
                         initializers: [("two", Tensor(shape: [], floats: [2]))], inputs: [],
                         outputs: [ValueInfo(name: "t", elementType: .float32, shape: nil)])
        let otherwise = Graph(name: "else", nodes: [Node(name: "negate", opType: "Neg", inputs: ["x"], outputs: ["e"])], initializers: [],
                              inputs: [], outputs: [ValueInfo(name: "e", elementType: .float32, shape: nil)])
        let node = Node(name: "choose", opType: "If", inputs: ["c"], outputs: ["y"], attributes: [("then_branch", .graph(then)), ("else_branch", .graph(otherwise))])
        let graph = Graph(name: "g", nodes: condition + [node], initializers: [("zero", Tensor(shape: [], floats: [0]))],
                          inputs: [ValueInfo(name: "x", elementType: .float32, shape: [.fixed(2), .fixed(3)])],
                          outputs: [ValueInfo(name: "y", elementType: .float32, shape: [.fixed(2), .fixed(3)])])
        return Model(graph: graph)
    }

    @Test("an If on the input's shape resolves when planning; the model round-trips through the ONNX writer")
    func resolvesOnShapes() throws {
        let model = Self.model(condition: [Node(name: "s", opType: "Shape", inputs: ["x"], outputs: ["s"]),
                                           Node(name: "n", opType: "ReduceProd", inputs: ["s"], outputs: ["n"], attributes: [("keepdims", .int(0))]),
                                           Node(name: "c", opType: "Greater", inputs: ["n", "five"], outputs: ["c"])])
        var m = model
        m.graph.setInitializer("five", Tensor(shape: [], ints: [5]))
        let decoded = try ONNX.decode(ONNX.encode(m))
        #expect(decoded.graph.nodes.last?.subgraphs.map(\.0) == ["then_branch", "else_branch"])
        #expect(decoded.graph.nodes.last == m.graph.nodes.last)
        let x = Tensor(shape: [2, 3], floats: [1, -2, 3, -4, 5, -6])
        for backend in [NativeBackend.reference, .onednn] {
            #expect(try NativeSession(model: decoded, threads: 1, backend: backend).run([x])[0].floats == [2, -4, 6, -8, 10, -12])
        }
    }

    @Test("an If whose condition depends on the input's values is refused, naming the node and the condition")
    func refusesDataDependentConditions() throws {
        let model = Self.model(condition: [Node(name: "sum", opType: "ReduceSum", inputs: ["x"], outputs: ["s"], attributes: [("keepdims", .int(0))]),
                                           Node(name: "c", opType: "Greater", inputs: ["s", "zero"], outputs: ["c"])])
        let session = try NativeSession(model: model, threads: 1, backend: .reference)
        #expect { try session.run([Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])]) } throws: { error in
            let text = "\(error)"
            return text.contains("node \"choose\" (If)") && text.contains("\"c\" is only known while running")
        }
    }

    @Test("subgraphs nested deeper than the decoder allows are rejected as a corrupt model")
    func rejectsDeepNesting() throws {
        var graph = Graph(name: "leaf", nodes: [], initializers: [], inputs: [], outputs: [])
        for depth in 0..<20 {
            let node = Node(name: "if\(depth)", opType: "If", inputs: ["c"], outputs: ["y"], attributes: [("then_branch", .graph(graph))])
            graph = Graph(name: "g\(depth)", nodes: [node], initializers: [], inputs: [], outputs: [])
        }
        #expect { try ONNX.decode(ONNX.encode(Model(graph: graph))) } throws: { "\($0)".contains("nested more than 16 deep") }
    }
}

/// The transformer fusions fire on ViT-tiny: Gelu recognised in its Erf form and fused with the bias into the MLP's
/// first MatMul, every constant-weight MatMul with its bias on the backend.
@Suite struct TransformerFusions {
    @Test("ViT-tiny on oneDNN: no Erf left, 48 MatMuls with their bias on oneDNN (12 with Gelu), attention's MatMuls on the batched kernel")
    func vitTiny() throws {
        let entry = try FamilySet.entry("vit_tiny")
        let session = try NativeSession(model: try ONNX.load(path: entry.model), threads: 1, backend: .onednn)
        let planned = session.plannedProviders
        #expect(!planned.contains { $0.op == "Erf" || $0.op == "Gelu" }, "Gelu is recognised and fused into a MatMul")
        #expect(planned.filter { $0.op == "kenning.native.MatMul" && $0.provider == "onednn" }.count == 48)
        #expect(planned.filter { $0.op == "MatMul" }.count == 24)
    }
}

/// SiLU (x · sigmoid(x)) is recognised in YOLOv8 and fused into the convolutions as oneDNN's swish post-op.
@Suite struct SiLUFusion {
    @Test("NudeNet's YOLOv8n on oneDNN: its 57 SiLUs run inside the convolutions; only the head's sigmoid stays")
    func yolo() throws {
        let entry = try FamilySet.entry("yolov8_nudenet")
        let session = try NativeSession(model: try ONNX.load(path: entry.model), threads: 1, backend: .onednn)
        _ = try session.run(try entry.inputs.indices.map { try FamilySet.input(entry, $0) })
        let planned = session.plannedProviders
        #expect(planned.filter { $0.op == "Sigmoid" }.count == 1, "\(planned.filter { $0.op == "Sigmoid" })")
        #expect(!planned.contains { $0.op == "kenning.native.SiLU" })
        #expect(planned.filter { $0.op == "com.microsoft.FusedConv" && $0.provider == "onednn" }.count == 57)
    }
}

/// The image wrapper's input size: from `input_shape` when given (checked against the model), else from the samples.
@Suite struct WrapperInputShape {
    static func wrapper(_ values: [(String, JSONValue)]) throws -> ONNXImageClassifier {
        try ONNXImageClassifier(try resolved(ONNXImageClassifier.description.parameters, values))
    }

    @Test("input_shape fills PP-OCR's classifier's symbolic dimensions; a shape that contradicts a fixed one is refused at its JSON path")
    func inputShape() throws {
        let entry = try #require(try OpTestSet.prepared.get().first { $0.name == "ppocr_cls" })
        let model = JSONValue.string(entry.model)
        let declared = try Self.wrapper([("model_path", model)]).artifact().io.inputs[0].shape
        #expect(declared == [-1, 3, -1, -1])
        let given = try Self.wrapper([("model_path", model), ("input_shape", .array([.int(3), .int(48), .int(192)]))])
        #expect(try given.artifact().io.inputs[0].shape == [-1, 3, 48, 192])
        let wrong = try Self.wrapper([("model_path", model), ("input_shape", .array([.int(1), .int(48), .int(192)]))])
        #expect { try wrong.artifact() } throws: { "\($0)".contains("does not fit the model input") && "\($0)".contains("$.parameters.input_shape") }
        #expect { try Self.wrapper([("model_path", model), ("input_shape", .array([.int(0), .int(48)]))]) } throws: {
            "\($0)".contains("not a list of positive whole sizes")
        }
    }
}
