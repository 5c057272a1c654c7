import Foundation
import KenningBlocks
import KenningCore
import KenningModel
import KenningNative
import Testing

/// NativeQuantizer's QDQ models: ONNX Runtime runs them, and the native runtime runs them with int8 kernels
/// (oneDNN on `onednn`/`auto`, XNNPACK QC8 on `xnnpack`/`openblas`) close to ONNX Runtime and to its own
/// float simulation (`reference`).
@Suite struct NativeQuantizerTests {
    static func quantizer(_ dir: String, _ extra: [(String, JSONValue)] = []) throws -> NativeQuantizer {
        try NativeQuantizer(try resolved(NativeQuantizer.description.parameters,
                                         [("compiled_model_path", .string(dir + "/int8.onnx")), ("calibration_samples", .int(64))] + extra))
    }

    static func digits() throws -> (DigitsDataset, ONNXImageClassifier) {
        let ds = try DigitsDataset(try resolved(DigitsDataset.description.parameters, [("dataset_root", .string(repo("data/digits")))]))
        let wrapper = try ONNXImageClassifier(try resolved(ONNXImageClassifier.description.parameters,
                                                           [("model_path", .string(repo("models/digits-cnn.onnx"))), ("input_mean", .double(0)),
                                                            ("input_std", .double(16))]))
        return (ds, wrapper)
    }

    func ort(model: String, input: [Float], shape: [Int]) throws -> [Float] {
        let dir = temporaryDirectory()
        try input.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: dir + "/in.f32")) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: repo(".venv/bin/python"))
        p.arguments = [repo("scripts/ort_run.py"), model, dir + "/in.f32", shape.map(String.init).joined(separator: ","), dir + "/out.f32"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "ONNX Runtime could not run \(model)")
        return try CNNTestSet.floats(dir + "/out.f32")
    }

    @Test("the quantized digits CNN keeps its accuracy on every backend and agrees with ONNX Runtime")
    func digitsInt8() throws {
        let (ds, wrapper) = try Self.digits()
        let dir = temporaryDirectory()
        let artifact = try Self.quantizer(dir).compile(try wrapper.artifact(), context: OptimizationContext(dataset: ds, modelWrapper: wrapper))
        let model = try ONNX.load(path: artifact.path)
        #expect(model.graph.nodes.contains { $0.opType == "QuantizeLinear" })
        #expect(model.graph.initializers.values.contains { $0.elementType == .int8 })
        let all = ds.testIndices
        let x = all.flatMap { ds.sample($0).map { $0 / 16 } }
        let shape = [all.count, 1, 8, 8]
        let reference = try ort(model: artifact.path, input: x, shape: shape)
        for backend in NativeBackend.allCases {
            let session = try NativeSession(model: model, threads: 2, backend: backend)
            let y = try session.run([Tensor(shape: shape, floats: x)])[0].floats
            let worst = zip(y, reference).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= 0.05, "\(backend.rawValue): probabilities differ from ONNX Runtime by up to \(worst)")
            let correct = all.indices.filter { i in
                let row = Array(y[(i * 10)..<(i * 10 + 10)])
                return row.firstIndex(of: row.max()!) == ds.label(all[i])
            }.count
            #expect(Double(correct) / Double(all.count) >= 0.97, "\(backend.rawValue): accuracy \(Double(correct) / Double(all.count))")
            let int8 = session.plannedProviders.filter { $0.provider.hasSuffix("-int8") }
            switch backend {
            case .reference: #expect(int8.isEmpty)
            case .onednn, .auto: #expect(int8.count == 2 && int8.allSatisfy { $0.provider == "onednn-int8" })
            case .xnnpack, .openblas: #expect(int8.count == 2 && int8.allSatisfy { $0.provider == "xnnpack-int8" })
            }
        }
    }

    @Test("per-tensor weights, percentile ranges and symmetric activations give valid models", arguments: [
        [("per_channel", JSONValue.bool(false))],
        [("calibration_method", JSONValue.string("percentile")), ("percentile", JSONValue.double(99.9))],
        [("activation_symmetric", JSONValue.bool(true))],
    ])
    func options(_ extra: [(String, JSONValue)]) throws {
        let (ds, wrapper) = try Self.digits()
        let dir = temporaryDirectory()
        let artifact = try Self.quantizer(dir, extra).compile(try wrapper.artifact(), context: OptimizationContext(dataset: ds, modelWrapper: wrapper))
        let model = try ONNX.load(path: artifact.path)
        let x = ds.testIndices.flatMap { ds.sample($0).map { $0 / 16 } }
        let shape = [ds.testIndices.count, 1, 8, 8]
        let reference = try ort(model: artifact.path, input: x, shape: shape)
        let y = try NativeSession(model: model, threads: 1, backend: .onednn).run([Tensor(shape: shape, floats: x)])[0].floats
        #expect(zip(y, reference).map { abs($0 - $1) }.max()! <= 0.05)
    }

    /// One MobileNetV2 sample as the calibration set (latency-style quantization of the test model).
    struct OneSample: Dataset {
        let values: [Float]
        var classNames: [String] { ["0"] }
        var sampleShape: [Int] { [3, 224, 224] }
        var trainIndices: [Int] { [0] }
        var testIndices: [Int] { [] }
        var batchSize: Int { 1 }
        func sample(_ index: Int) -> [Float] { values }
        func label(_ index: Int) -> Int { 0 }
    }

    @Test("int8 MobileNetV2 (depthwise, ReLU6, residual Add) on oneDNN and XNNPACK matches ONNX Runtime within 10%")
    func mobileNetV2Int8() throws {
        let entries = try CNNTestSet.prepared.get()
        let entry = try #require(entries.first { $0.name == "mobilenetv2" })
        let input = try CNNTestSet.floats(CNNTestSet.directory + "/mobilenetv2.in.f32")
        let wrapper = try ONNXImageClassifier(try resolved(ONNXImageClassifier.description.parameters, [("model_path", .string(entry.model))]))
        let dir = temporaryDirectory()
        let artifact = try Self.quantizer(dir, [("calibration_samples", .int(1))])
            .compile(try wrapper.artifact(), context: OptimizationContext(dataset: OneSample(values: input), modelWrapper: wrapper))
        let model = try ONNX.load(path: artifact.path)
        let expected = try ort(model: artifact.path, input: input, shape: entry.inputShape)
        let scale = expected.map { abs($0) }.max() ?? 1
        let x = Tensor(shape: entry.inputShape, floats: input)
        let simulated = try NativeSession(model: model, threads: 2, backend: .reference).run([x])[0].floats
        for backend in [NativeBackend.onednn, .xnnpack] {
            let y = try NativeSession(model: model, threads: 2, backend: backend).run([x])[0].floats
            let vsORT = zip(y, expected).map { abs($0 - $1) }.max()! / scale
            let vsSimulation = zip(y, simulated).map { abs($0 - $1) }.max()! / scale
            #expect(vsORT <= 0.1, "\(backend.rawValue): \(vsORT) relative to ONNX Runtime")
            #expect(vsSimulation <= 0.1, "\(backend.rawValue): \(vsSimulation) relative to the float simulation")
        }
    }
}
