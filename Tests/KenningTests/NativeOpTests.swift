import Foundation
import KenningBlocks
import KenningCore
import KenningModel
import KenningNative
import KenningWorkers
import Testing

/// The operator cases and real PP-OCR models with ONNX Runtime's outputs, prepared once by scripts/make-op-models.py
/// into build/op-models.
enum OpTestSet {
    struct Entry: Sendable {
        let name: String
        let model: String
        let inputShape: [Int]
        let outputShapes: [[Int]]
        let real: Bool
    }

    static let directory = repo("build/op-models")

    static let prepared: Result<[Entry], CNNTestSet.PreparationError> =
        CNNTestSet.preparedManifest(script: "scripts/make-op-models.py", directory: directory).map { list in
            list.compactMap { e in
                guard let name = e["name"] as? String, let model = e["model"] as? String, let input = e["input_shape"] as? [Int],
                      let outputs = e["output_shapes"] as? [[Int]] else { return nil }
                return Entry(name: name, model: model.hasPrefix("/") ? model : repo(model), inputShape: input, outputShapes: outputs,
                             real: e["real"] as? Bool ?? false)
            }
        }

    /// The outputs of `entry` on `backend`, and ONNX Runtime's.
    static func outputs(_ entry: Entry, backend: NativeBackend, threads: Int = 2) throws -> (native: [Tensor], expected: [[Float]]) {
        let model = try ONNX.load(path: entry.model)
        let x = Tensor(shape: entry.inputShape, floats: try CNNTestSet.floats(directory + "/\(entry.name).in.f32"))
        let session = try NativeSession(model: model, threads: threads, backend: backend)
        let expected = try entry.outputShapes.indices.map { try CNNTestSet.floats(directory + "/\(entry.name).out\($0).f32") }
        return (try session.run([x]), expected)
    }

    /// Per output, the largest |native − ONNX Runtime| over max(1, max |ONNX Runtime|) (nil where the shapes differ).
    static func errors(_ entry: Entry, _ ys: [Tensor], _ expectedOutputs: [[Float]]) -> [Float?] {
        entry.outputShapes.enumerated().map { k, shape in
            let expected = expectedOutputs[k]
            guard k < ys.count, ys[k].shape == shape else { return nil }
            let scale = max(1, expected.map { abs($0) }.max() ?? 0)
            return zip(ys[k].floats, expected).map { $0.isNaN && $1.isNaN ? 0 : abs($0 - $1) }.max().map { $0 / scale } ?? 0
        }
    }
}

/// Every operator case on every backend agrees with ONNX Runtime within 1e-4 (relative to the output's largest value,
/// at least 1), with the same output shapes.
@Suite(.serialized) struct NativeOperatorsAgainstONNXRuntime {
    @Test("each operator case matches ONNX Runtime on every backend")
    func operators() throws {
        let entries = try OpTestSet.prepared.get().filter { !$0.real }
        #expect(entries.count > 80)
        for entry in entries {
            for backend in NativeBackend.allCases {
                let errors: [Float?]
                do {
                    let (ys, expected) = try OpTestSet.outputs(entry, backend: backend)
                    errors = OpTestSet.errors(entry, ys, expected)
                } catch {
                    Issue.record("\(entry.name) on \(backend.rawValue): \(error)")
                    continue
                }
                for (k, e) in errors.enumerated() {
                    #expect(e != nil, "\(entry.name) on \(backend.rawValue): output \(k) has the wrong shape")
                    #expect((e ?? 0) <= 1e-4, "\(entry.name) on \(backend.rawValue): output \(k) differs by \(e ?? .nan)")
                }
            }
        }
    }

    @Test("PP-OCR's detector, direction classifier and recogniser (dynamic dimensions) match ONNX Runtime on every backend",
          arguments: ["ppocr_det", "ppocr_cls", "ppocr_rec"])
    func realModels(_ name: String) throws {
        let entries = try OpTestSet.prepared.get()
        let entry = try #require(entries.first { $0.name == name })
        for backend in NativeBackend.allCases {
            let (ys, expected) = try OpTestSet.outputs(entry, backend: backend)
            let errors = OpTestSet.errors(entry, ys, expected)
            // The decision each model makes: text pixels (probability > 0.3) for the detector, the class or character
            // (argmax over the last axis) for the classifier and the recogniser.
            let y = ys[0].floats, truth = expected[0]
            let agreement: Double
            if name == "ppocr_det" {
                agreement = Double(zip(y, truth).filter { ($0 > 0.3) == ($1 > 0.3) }.count) / Double(max(truth.count, 1))
                #expect(truth.filter { $0 > 0.3 }.count > 20, "the photograph's text is detected by ONNX Runtime")
            } else {
                let classes = entry.outputShapes[0].last ?? 1
                let rows = truth.count / classes
                func argmax(_ v: [Float], _ r: Int) -> Int { (0..<classes).max { v[r * classes + $0] < v[r * classes + $1] }! }
                agreement = Double((0..<rows).filter { y.count == truth.count && argmax(y, $0) == argmax(truth, $0) }.count) / Double(max(rows, 1))
            }
            #expect(agreement == 1, "\(name) on \(backend.rawValue): decisions agree on \(agreement * 100) %")
            print("\(name) on \(backend.rawValue): max relative difference \(errors.map { $0.map { String($0) } ?? "shape" }), decisions agree \(agreement * 100) %")
            for (k, e) in errors.enumerated() {
                #expect(e != nil, "\(name) on \(backend.rawValue): output \(k) has the wrong shape")
                #expect((e ?? 0) <= 1e-4, "\(name) on \(backend.rawValue): output \(k) differs by \(e ?? .nan)")
            }
        }
    }
}

/// Models whose dimensions are symbolic run on the framework workers with their real output shapes.
@Suite(.serialized) struct DynamicShapesOnWorkers {
    @Test("PP-OCR's detector ([?, 3, ?, ?] → [?, 1, ?, ?]) on the ONNX Runtime and OpenVINO workers: real output shape, ONNX Runtime's values",
          arguments: [("onnxruntime", "ONNXRuntime"), ("openvino", "OpenVINORuntime")])
    func detectorOnWorkers(_ framework: String, _ runtimeType: String) throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "run scripts/setup-frameworks")
        let entry = try #require(try OpTestSet.prepared.get().first { $0.name == "ppocr_det" })
        let model = try ONNX.load(path: entry.model)
        let x = Tensor(shape: entry.inputShape, floats: try CNNTestSet.floats(OpTestSet.directory + "/ppocr_det.in.f32"))
        let expected = try CNNTestSet.floats(OpTestSet.directory + "/ppocr_det.out0.f32")
        #expect(model.ioSpec.outputs[0].shape.filter { $0 < 0 }.count == 3)
        let session = try WorkerInferenceSession(framework: framework, runtimeType: runtimeType, parameters: .object([]), io: model.ioSpec,
                                                 model: .bytes(try [UInt8](Data(contentsOf: URL(fileURLWithPath: entry.model)))))
        let y = try session.run([x])[0]
        #expect(y.shape == entry.outputShapes[0])
        let worst = zip(y.floats, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-3, "\(framework): max |Δ| \(worst)")
    }

    @Test("an output payload that does not fit its declared shape is an error naming the output, never a trap")
    func mismatchedPayloads() throws {
        let spec = TensorSpec(name: "maps", shape: [-1, 1, -1, -1], elementType: .float32)
        let bytes = [UInt8](repeating: 0, count: 4 * 2 * 3)
        // Three unknowns and no reported shape: nothing to solve them from.
        #expect { try TensorBytes.decode(bytes, specs: [spec], batch: 1) } throws: { ($0 as? KenningError)?.description.contains("maps") == true }
        // Reported shapes are used as they are, and checked against the declaration and the payload.
        #expect(try TensorBytes.decode(bytes, specs: [spec], batch: 1, shapes: [[1, 1, 2, 3]])[0].shape == [1, 1, 2, 3])
        #expect { try TensorBytes.decode(bytes, specs: [spec], batch: 1, shapes: [[1, 2, 2, 3]]) } throws: {
            ($0 as? KenningError)?.description.contains("declared as [-1, 1, -1, -1] came back with shape [1, 2, 2, 3]") == true
        }
        #expect(throws: KenningError.self) { try TensorBytes.decode(bytes, specs: [spec], batch: 1, shapes: [[1, 1, 4, 3]]) }
        #expect(throws: KenningError.self) { try TensorBytes.decode(bytes, specs: [spec], batch: 1, shapes: [[1, 1, -2, 3]]) }
        #expect(throws: KenningError.self) { try TensorBytes.decode(bytes, specs: [spec], batch: 1, shapes: []) }
    }
}
