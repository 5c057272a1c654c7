import Foundation
import KenningBlocks
import KenningCore
import KenningModel
import KenningNative
import Testing

/// NativeQuantizer's QDQ models: the native runtime runs them with int8 kernels (oneDNN on `onednn`/`auto`, XNNPACK
/// QC8 on `xnnpack`/`openblas`) close to its own float simulation (`reference`) and to the labels, and ONNX Runtime
/// runs them too. Assertions never compare with another library's int8 kernels, whose rounding (and, on x86 without
/// VNNI, saturation) is theirs. `scripts/test` runs this suite twice: on the machine's own ISA and capped at AVX2
/// (`KENNING_MAX_CPU_ISA=avx2`), so both int8 code paths are exercised on any machine.
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

    /// Largest difference in class probability between an int8 kernel and the float simulation of the same QDQ model
    /// (the `reference` backend): both compute the same integers, so only requantization rounding separates them.
    static let digitsBound: Float = 0.05

    /// Runs `backend` on the quantized model, or checks that it refuses: on an x86 CPU without VNNI (or capped below
    /// it), oneDNN's int8 path takes only 7-bit weights.
    static func checkBackends(_ model: Model, x: [Float], shape: [Int], simulated: [Float], labels: [Int], bound: Float,
                              label: String) throws {
        for backend in NativeBackend.allCases where backend != .reference {
            if let refusal = NativeSession.int8Incompatibility(model, backend: backend) {
                #expect(backend == .onednn && !NativeLibraryISA.oneDNNInt8DotProduct, "\(label) \(backend.rawValue): refused: \(refusal)")
                do {
                    _ = try NativeSession(model: model, threads: 2, backend: backend)
                    Issue.record("\(label) \(backend.rawValue): planned although int8Incompatibility refuses it")
                } catch {
                    #expect(error.kind == .badInput && error.description.contains("reduce_range") && error.description.contains("VNNI"))
                }
                print("int8 \(label) \(backend.rawValue) [\(NativeLibraryISA.oneDNN)]: refused (full-range weights, no VNNI)")
                continue
            }
            let session = try NativeSession(model: model, threads: 2, backend: backend)
            let y = try session.run([Tensor(shape: shape, floats: x)])[0].floats
            let worst = zip(y, simulated).map { abs($0 - $1) }.max() ?? 1
            print("int8 \(label) \(backend.rawValue) [\(NativeLibraryISA.oneDNN), xnnpack avx512 \(NativeLibraryISA.xnnpackAVX512)]: "
                  + "max |Δp| vs float simulation \(worst)")
            #expect(worst <= bound, "\(label) \(backend.rawValue): probabilities differ from the float simulation by up to \(worst)")
            if !labels.isEmpty {
                let accuracy = Self.accuracy(y, labels)
                #expect(accuracy >= 0.97, "\(label) \(backend.rawValue): accuracy \(accuracy)")
            }
            let int8 = session.plannedProviders.filter { $0.provider.hasSuffix("-int8") }
            let oneDNNTakesIt = NativeLibraryISA.oneDNNInt8DotProduct || Self.maxAbsWeight(model) <= 64
            switch backend {
            case .onednn: #expect(!int8.isEmpty && int8.allSatisfy { $0.provider == "onednn-int8" })
            case .auto: #expect(!int8.isEmpty && int8.allSatisfy { $0.provider == (oneDNNTakesIt ? "onednn-int8" : "xnnpack-int8") })
            case .xnnpack, .openblas: #expect(!int8.isEmpty && int8.allSatisfy { $0.provider == "xnnpack-int8" })
            case .reference: break
            }
        }
    }

    static func accuracy(_ y: [Float], _ labels: [Int]) -> Double {
        let classes = y.count / max(labels.count, 1)
        let correct = labels.indices.filter { i in
            let row = Array(y[(i * classes)..<((i + 1) * classes)])
            return row.firstIndex(of: row.max()!) == labels[i]
        }.count
        return Double(correct) / Double(labels.count)
    }

    static func maxAbsWeight(_ model: Model) -> Int {
        model.graph.initializers.values.reduce(0) { m, t in
            guard case let .int8(v) = t.storage, t.shape.count == 4 else { return m }
            return max(m, v.reduce(0) { max($0, abs(Int($1))) })
        }
    }

    @Test("the quantized digits CNN agrees with its float simulation and keeps its accuracy on every backend and weight range",
          arguments: [JSONValue.string("auto"), .bool(true), .bool(false)])
    func digitsInt8(_ reduceRange: JSONValue) throws {
        let (ds, wrapper) = try Self.digits()
        let dir = temporaryDirectory()
        let artifact = try Self.quantizer(dir, [("reduce_range", reduceRange)])
            .compile(try wrapper.artifact(), context: OptimizationContext(dataset: ds, modelWrapper: wrapper))
        let model = try ONNX.load(path: artifact.path)
        #expect(model.graph.nodes.contains { $0.opType == "QuantizeLinear" })
        #expect(model.graph.initializers.values.contains { $0.elementType == .int8 })
        // The weight range follows reduce_range, and auto follows the CPU (within any KENNING_MAX_CPU_ISA cap).
        let cpu = try CPUFeatures.current()
        let reduced = reduceRange.boolValue ?? cpu.int8WeightsSaturate
        let widest = Self.maxAbsWeight(model)
        #expect(reduced ? widest <= 64 : widest > 64, "reduce_range \(reduceRange): widest weight \(widest)")
        let record = try #require(IOSpecFile.quantization(nextTo: artifact.path))
        #expect(record["reduce_range"]?.boolValue == reduced)
        #expect(record["reduce_range_setting"] == reduceRange)
        #expect(record["cpu"]?["vnni"]?.boolValue == cpu.hasInt8DotProduct)
        #expect(record["cpu"]?["isa_flags"]?.arrayValue?.compactMap(\.stringValue) == cpu.available.sorted().map(\.rawValue))

        let all = ds.testIndices
        let x = all.flatMap { ds.sample($0).map { $0 / 16 } }
        let shape = [all.count, 1, 8, 8]
        let simulated = try NativeSession(model: model, threads: 2, backend: .reference).run([Tensor(shape: shape, floats: x)])[0].floats
        let labels = all.map(ds.label)
        #expect(Self.accuracy(simulated, labels) >= 0.97)
        try Self.checkBackends(model, x: x, shape: shape, simulated: simulated, labels: labels, bound: Self.digitsBound,
                               label: "digits reduce_range=\(reduceRange.serialized(indent: nil))")
        // ONNX Runtime runs the model too, and keeps the accuracy wherever its own int8 kernels cannot saturate.
        if reduced || cpu.hasInt8DotProduct {
            let ort = try onnxRuntimeOutputs(model: artifact.path, input: x, shape: shape)
            #expect(Self.accuracy(ort, labels) >= 0.97)
        }
        // And on an AVX2-only CPU, where MLAS multiplies u8×s8 through vpmaddubsw: exact with 7-bit weights. Full-range
        // weights saturate there (that is what reduce_range is for): their error is printed, not asserted.
        try #require(FileManager.default.isExecutableFile(atPath: qemuUser), "qemu-user is missing: run scripts/test (it installs qemu-user)")
        let emulated = try onnxRuntimeOutputs(model: artifact.path, input: x, shape: shape, cpu: "Haswell")
        let worst = zip(emulated, simulated).map { abs($0 - $1) }.max() ?? 1
        print("int8 digits reduce_range=\(reduceRange.serialized(indent: nil)) (\(widest > 64 ? "8" : "7")-bit) ONNX Runtime on emulated Haswell: "
              + "max |Δp| vs float simulation \(worst), accuracy \(Self.accuracy(emulated, labels))")
        if widest <= 64 {
            #expect(worst <= Self.digitsBound, "ONNX Runtime on an AVX2-only CPU: \(worst) from the float simulation")
            #expect(Self.accuracy(emulated, labels) >= 0.97)
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
        let simulated = try NativeSession(model: model, threads: 1, backend: .reference).run([Tensor(shape: shape, floats: x)])[0].floats
        try Self.checkBackends(model, x: x, shape: shape, simulated: simulated, labels: ds.testIndices.map(ds.label),
                               bound: Self.digitsBound, label: "digits \(extra.map(\.0).joined(separator: ","))")
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

    @Test("int8 MobileNetV2 (depthwise, ReLU6, residual Add) on oneDNN, XNNPACK and auto agrees with its float simulation within 10%")
    func mobileNetV2Int8() throws {
        let entries = try CNNTestSet.prepared.get()
        let entry = try #require(entries.first { $0.name == "mobilenetv2" })
        let input = try CNNTestSet.floats(CNNTestSet.directory + "/mobilenetv2.in.f32")
        let wrapper = try ONNXImageClassifier(try resolved(ONNXImageClassifier.description.parameters, [("model_path", .string(entry.model))]))
        let dir = temporaryDirectory()
        let artifact = try Self.quantizer(dir, [("calibration_samples", .int(1))])
            .compile(try wrapper.artifact(), context: OptimizationContext(dataset: OneSample(values: input), modelWrapper: wrapper))
        let model = try ONNX.load(path: artifact.path)
        let x = Tensor(shape: entry.inputShape, floats: input)
        let simulated = try NativeSession(model: model, threads: 2, backend: .reference).run([x])[0].floats
        let scale = simulated.map { abs($0) }.max() ?? 1
        for backend in [NativeBackend.onednn, .xnnpack, .auto] {
            #expect(NativeSession.int8Incompatibility(model, backend: backend) == nil, "reduce_range auto must suit this CPU")
            let y = try NativeSession(model: model, threads: 2, backend: backend).run([x])[0].floats
            let vsSimulation = zip(y, simulated).map { abs($0 - $1) }.max()! / scale
            print("int8 mobilenetv2 \(backend.rawValue) [\(NativeLibraryISA.oneDNN)]: max |Δ| / max |y| vs float simulation \(vsSimulation)")
            #expect(vsSimulation <= 0.1, "\(backend.rawValue): \(vsSimulation) relative to the float simulation")
        }
    }
}
