import Foundation
import KenningBlocks
import KenningCore
import KenningEngine
import KenningModel
import KenningNative
import Testing

@Suite struct DigitsData {
    @Test func splitMatchesTheTrainingScript() {
        var rng = SplitMix64(seed: 1234)
        #expect([rng.next(), rng.next(), rng.next()] == [13_478_418_381_427_711_195, 10_936_887_474_700_444_964, 3_728_693_401_281_897_946])
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        // The i-th value computed directly is the sequence's.
        var again = SplitMix64(seed: 1234)
        #expect((0..<100).map { _ in again.next() } == (0..<100).map { SplitMix64.value(seed: 1234, at: $0) })
    }

    @Test func defaultSplitIsPinned() throws {
        let ds = try DigitsDataset(try resolved(DigitsDataset.description.parameters, [("dataset_root", .string(repo("data/digits")))]))
        #expect(ds.trainIndices.count == 1438)
        #expect(ds.testIndices.count == 359)
        #expect(Array(ds.testIndices.prefix(10)) == [1, 3, 10, 17, 20, 21, 28, 42, 53, 55])
        #expect(Set(ds.trainIndices).isDisjoint(with: ds.testIndices))
        let perClass = (0..<10).map { c in ds.testIndices.filter { ds.label($0) == c }.count }
        #expect(perClass == [36, 36, 35, 37, 36, 36, 36, 36, 35, 36])
    }
}

@Suite struct ONNXModelLayer {
    @Test func readsTheDigitsModel() throws {
        let model = try ONNX.load(path: repo("models/digits-cnn.onnx"))
        #expect(model.graph.nodes.map(\.opType) == ["Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "Relu",
                                                     "MaxPool", "Flatten", "Gemm", "Softmax"])
        #expect(model.ioSpec.inputs == [TensorSpec(name: "input", shape: [-1, 1, 8, 8], elementType: .float32)])
        let shapes = try ShapeInference.infer(model, inputShapes: ["input": [5, 1, 8, 8]])
        #expect(shapes["probabilities"] == [5, 10])
    }

    @Test func writeThenReadIsLossless() throws {
        let model = try ONNX.load(path: repo("models/digits-cnn.onnx"))
        let again = try ONNX.decode(ONNX.encode(model))
        #expect(again.graph.nodes == model.graph.nodes)
        #expect(again.graph.initializers == model.graph.initializers)
        #expect(again.graph.inputs == model.graph.inputs && again.graph.outputs == model.graph.outputs)
        #expect(again.opsets == model.opsets)
    }

    @Test func corruptBytesGiveAClearError() {
        #expect(throws: KenningError.self) { try ONNX.decode([0x0A, 0xFF, 0xFF, 0xFF]) }
        do {
            _ = try ONNX.decode(Array("hello, this is not a model".utf8))
            Issue.record("decoded garbage")
        } catch {
            #expect(error.kind == .badInput)
            #expect(error.description.contains("corrupt or non-ONNX model"))
        }
    }

    @Test func shapeMismatchNamesTheNode() throws {
        var model = try ONNX.load(path: repo("models/digits-cnn.onnx"))
        let w = model.graph.nodes[4].inputs[1]
        var t = model.graph.initializers[w]!
        t = Tensor(shape: [32, 8, 3, 3], floats: Array(t.floats.prefix(32 * 8 * 9)))
        model.graph.initializers[w] = t
        do {
            _ = try ShapeInference.infer(model, inputShapes: ["input": [1, 1, 8, 8]])
            Issue.record("no error")
        } catch {
            #expect(error.description.contains("conv2"))
        }
    }

    @Test func float16RoundTrip() {
        for v: Float in [0, 1, -2.5, 65504, 1e-5, 0.1] {
            #expect(abs(Float(halfBits: v.halfBits) - v) <= abs(v) * 1e-3 + 1e-7)
        }
    }
}

@Suite struct GraphPassTests {
    @Test func passesKeepOutputsAndShrinkTheGraph() throws {
        let original = try ONNX.load(path: repo("models/digits-cnn.onnx"))
        var optimized = original
        _ = try GraphPasses.foldConstants(&optimized, evaluate: NativeSession.evaluate)
        #expect(GraphPasses.foldBatchNorm(&optimized).changes == 2)
        #expect(GraphPasses.fuseActivations(&optimized).changes == 2)
        _ = GraphPasses.removeDeadNodes(&optimized)
        #expect(optimized.graph.nodes.map(\.opType) == ["FusedConv", "MaxPool", "FusedConv", "MaxPool", "Flatten", "Gemm", "Softmax"])
        let ds = try DigitsDataset(try resolved(DigitsDataset.description.parameters, [("dataset_root", .string(repo("data/digits")))]))
        let x = Tensor(shape: [16, 1, 8, 8], floats: ds.testIndices.prefix(16).flatMap { ds.sample($0).map { $0 / 16 } })
        let a = try NativeSession(model: original, threads: 1).run([x])[0].floats
        let b = try NativeSession(model: optimized, threads: 2).run([x])[0].floats
        #expect(zip(a, b).map { abs($0 - $1) }.max()! < 1e-5)
    }
}

/// The default model's outputs on every sample against ONNX Runtime (installed by scripts/setup-python).
@Suite struct AgainstONNXRuntime {
    static let python = repo(".venv/bin/python")

    func ort(model: String, input: [Float], shape: [Int]) throws -> [Float] {
        let dir = temporaryDirectory()
        let inPath = dir + "/in.f32", outPath = dir + "/out.f32"
        try input.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: inPath)) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [repo("scripts/ort_run.py"), model, inPath, shape.map(String.init).joined(separator: ","), outPath]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: outPath))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    @Test func nativeMatchesONNXRuntimeOnEverySample() throws {
        #expect(FileManager.default.fileExists(atPath: Self.python), "run scripts/setup-python first")
        let ds = try DigitsDataset(try resolved(DigitsDataset.description.parameters, [("dataset_root", .string(repo("data/digits")))]))
        let all = Array(0..<(ds.trainIndices.count + ds.testIndices.count))
        let x = all.flatMap { ds.sample($0).map { $0 / 16 } }
        let shape = [all.count, 1, 8, 8]
        let reference = try ort(model: repo("models/digits-cnn.onnx"), input: x, shape: shape)
        #expect(reference.count == all.count * 10)
        for modelPath in ["models/digits-cnn.onnx"] {
            let model = try ONNX.load(path: repo(modelPath))
            let native = try NativeSession(model: model, threads: 2).run([Tensor(shape: shape, floats: x)])[0].floats
            let worst = zip(native, reference).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-4, "max abs difference \(worst)")
        }
        // The optimized artifact (folded BatchNorm, com.microsoft FusedConv) runs on ONNX Runtime too and agrees.
        var optimized = try ONNX.load(path: repo("models/digits-cnn.onnx"))
        _ = GraphPasses.foldBatchNorm(&optimized)
        _ = GraphPasses.fuseActivations(&optimized)
        let path = temporaryDirectory() + "/optimized.onnx"
        try ONNX.save(optimized, to: path)
        let ortOptimized = try ort(model: path, input: x, shape: shape)
        let native = try NativeSession(model: optimized, threads: 1).run([Tensor(shape: shape, floats: x)])[0].floats
        #expect(zip(native, ortOptimized).map { abs($0 - $1) }.max()! <= 1e-4)
        #expect(zip(reference, ortOptimized).map { abs($0 - $1) }.max()! <= 1e-4)
        // Accuracy on the test split.
        let correct = ds.testIndices.filter { i in
            let row = Array(reference[(i * 10)..<(i * 10 + 10)])
            return row.firstIndex(of: row.max()!) == ds.label(i)
        }.count
        #expect(Double(correct) / Double(ds.testIndices.count) >= 0.97)
    }
}

@Suite struct Compatibility {
    /// A model with an op the native runtime lacks: every NativeRuntime pipeline is excluded, with the rule.
    @Test func unsupportedOpExcludesPipelines() throws {
        var model = try ONNX.load(path: repo("models/digits-cnn.onnx"))
        model.graph.nodes[2].opType = "Hardmax"
        let dir = temporaryDirectory()
        try ONNX.save(model, to: dir + "/hardmax.onnx")
        let doc = try JSONValue.parse("""
        {"optimization_parameters": {"strategy": "grid_search", "optimizable": ["runtime"], "metric": "accuracy", "policy": "max"},
         "model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "\(dir)/hardmax.onnx"}},
         "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "\(repo("data/digits"))"}},
         "runtime": [{"type": "NativeRuntime", "parameters": {"save_model_path": ["\(dir)/m.onnx"], "num_threads": [1, 2]}}]}
        """)
        let runner = FineTuneRunner(options: FineTuneOptions(configPath: "x.json", outputPath: dir + "/o.json", generateScenarios: nil,
                                                             verbosity: "INFO", timeout: 60, executable: ""), say: { _ in })
        let plan = try runner.plan(doc, parameters: try OptimizationParameters.parse(doc))
        #expect(plan.count == 2)
        #expect(plan.allSatisfy { $0.id == nil && $0.exclusion?.contains("Hardmax") == true })
    }
}

/// The signature read (IO spec and precision without decoding weights) agrees with a full load on every model the
/// suite makes, and refuses what a full load refuses.
@Suite struct ONNXSignatureReading {
    @Test func agreesWithTheFullLoad() throws {
        let folders = ["models", "build/op-models", "build/model-families", "build/bench/kenning-grid"]
        var paths: [String] = []
        for folder in folders {
            guard let e = FileManager.default.enumerator(atPath: repo(folder)) else { continue }
            while let name = e.nextObject() as? String, paths.count < 400 {
                if name.hasSuffix(".onnx") { paths.append(repo(folder) + "/" + name) }
            }
        }
        #expect(paths.count > 20, "\(paths.count) models found; run scripts/make-op-models and scripts/make-model-families")
        for path in paths {
            let full: Model
            do { full = try ONNX.load(path: path) } catch {
                #expect(throws: KenningError.self, "\(path) loads partly") { try ONNX.signature(path: path) }
                continue
            }
            let signature = try ONNX.signature(path: path)
            #expect(signature.io == full.ioSpec, "\(path)")
            let quantized = full.graph.nodes.contains { ["QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger"].contains($0.opType) }
            let half = full.graph.initializers.values.contains { $0.elementType == .float16 }
            #expect(signature.precision == (quantized ? "int8" : half ? "float16" : "float32"), "\(path)")
        }
    }

    @Test func refusesWhatTheFullLoadRefuses() throws {
        let dir = temporaryDirectory()
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: repo("models/digits-cnn.onnx"))))
        for cut in [1, 7, good.count / 3, good.count / 2, good.count - 5] {
            let path = dir + "/cut-\(cut).onnx"
            try Data(good.prefix(cut)).write(to: URL(fileURLWithPath: path))
            #expect(throws: KenningError.self, "cut at \(cut)") { try ONNX.load(path: path) }
            #expect(throws: KenningError.self, "cut at \(cut)") { try ONNX.signature(path: path) }
        }
        #expect(throws: KenningError.self) { try ONNX.signature(path: dir + "/missing.onnx") }
    }
}
