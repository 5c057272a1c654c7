import Foundation
import KenningCore
import KenningModel
import KenningNative
import Testing

/// MediaPipe's TFLite models with LiteRT's outputs on a real photograph, prepared once by scripts/make-tflite-models.py
/// into build/tflite-models.
enum TFLiteTestSet {
    static let directory = repo("build/tflite-models")

    static let prepared: Result<[OpTestSet.Entry], CNNTestSet.PreparationError> =
        CNNTestSet.preparedManifest(script: "scripts/make-tflite-models.py", directory: directory).map { list in
            list.compactMap { e in
                guard let name = e["name"] as? String, let model = e["model"] as? String, let input = e["input_shape"] as? [Int],
                      let outputs = e["output_shapes"] as? [[Int]] else { return nil }
                return OpTestSet.Entry(name: name, model: model.hasPrefix("/") ? model : repo(model), inputShape: input,
                                       outputShapes: outputs, real: true)
            }
        }
}

@Suite(.serialized) struct TFLiteImport {
    @Test("MediaPipe's face detector, face landmarker and hand landmarker (TFLite, float16 weights) run natively on every backend and match LiteRT",
          arguments: ["blazeface", "face_landmark", "hand_landmark_lite"])
    func mediapipeModels(_ name: String) throws {
        let entry = try #require(try TFLiteTestSet.prepared.get().first { $0.name == name })
        let model = try TFLite.load(path: entry.model)
        #expect(model.ioSpec.inputs.map(\.shape) == [entry.inputShape])
        #expect(model.ioSpec.outputs.map(\.shape) == entry.outputShapes)
        let x = Tensor(shape: entry.inputShape, floats: try CNNTestSet.floats(TFLiteTestSet.directory + "/\(name).in.f32"))
        let expected = try entry.outputShapes.indices.map { try CNNTestSet.floats(TFLiteTestSet.directory + "/\(name).out\($0).f32") }
        for backend in NativeBackend.allCases {
            let ys = try NativeSession(model: model, threads: 2, backend: backend).run([x])
            if name == "blazeface", let best = ys.last?.floats.max() {
                // The photograph's face is found: its best anchor scores above 0.9 (a sigmoid of the raw score).
                #expect(1 / (1 + exp(-best)) > 0.9, "\(backend.rawValue): best face score \(best)")
            }
            let errors = OpTestSet.errors(entry, ys, expected)
            print("\(name) on \(backend.rawValue): max relative difference \(errors.map { $0.map { String($0) } ?? "shape" })")
            for (k, e) in errors.enumerated() {
                #expect(e != nil, "\(name) on \(backend.rawValue): output \(k) shape \(k < ys.count ? ys[k].shape : [])")
                #expect((e ?? 0) <= 1e-4, "\(name) on \(backend.rawValue): output \(k) differs by \(e ?? .nan)")
            }
        }
    }

    @Test("an int8-quantized MobileNetV3-Small (TensorFlow's converter) runs natively on every backend: LiteRT's top class, logits within two int8 steps")
    func int8MobileNetV3() throws {
        let entries = try TFLiteTestSet.prepared.get()
        try #require(entries.contains { $0.name == "mobilenetv3_small_int8" }, "run scripts/setup-frameworks --with-onnx2tf (TensorFlow)")
        let entry = try #require(entries.first { $0.name == "mobilenetv3_small_int8" })
        let model = try TFLite.load(path: entry.model)
        #expect(model.graph.nodes.contains { $0.opType == "QuantizeLinear" } && model.graph.nodes.contains { $0.opType == "DequantizeLinear" })
        let x = Tensor(shape: entry.inputShape, floats: try CNNTestSet.floats(TFLiteTestSet.directory + "/\(entry.name).in.f32"))
        let expected = try CNNTestSet.floats(TFLiteTestSet.directory + "/\(entry.name).out0.f32")
        // The logits are int8 values on the output's grid: they differ by whole steps where a rounding differs.
        func top(_ v: [Float], _ k: Int) -> [Int] { Array(v.indices.sorted { v[$0] != v[$1] ? v[$0] > v[$1] : $0 < $1 }.prefix(k)) }
        for backend in NativeBackend.allCases {
            let y = try NativeSession(model: model, threads: 2, backend: backend).run([x])[0]
            try #require(y.shape == entry.outputShapes[0])
            let worst = zip(y.floats, expected).map { abs($0 - $1) }.max() ?? .infinity
            let grid = Set(expected).sorted()
            let step = zip(grid.dropFirst(), grid).map { $0 - $1 }.min() ?? 0
            let same = Double(zip(y.floats, expected).filter { $0 == $1 }.count) / Double(expected.count)
            print("mobilenetv3_small_int8 on \(backend.rawValue): max |Δ| \(worst) (int8 step \(step)), \(same * 100) % of logits identical, top-5 \(top(y.floats, 5)) vs LiteRT \(top(expected, 5))")
            #expect(grid.count > 20, "LiteRT's logits are spread over the int8 grid")
            #expect(worst <= 2 * step + 1e-6, "\(backend.rawValue): max |Δ| \(worst), int8 step \(step)")
            // Between its int8 roundings the graph computes in float, where TFLite uses fixed-point arithmetic: logits differ
            // by a step or two where a rounding went the other way, not more, and not on average.
            let mean = zip(y.floats, expected).map { abs($0 - $1) }.reduce(0, +) / Float(expected.count)
            #expect(mean <= 0.75 * step, "\(backend.rawValue): mean |Δ| \(mean), int8 step \(step)")
            #expect(same >= 0.4, "\(backend.rawValue): \(same * 100) % identical")
            // The top class is LiteRT's (on the coarse int8 grid several classes can share the top value).
            #expect(expected[top(y.floats, 1)[0]] == expected.max(), "\(backend.rawValue)")
        }
    }

    @Test("a file that is not TFLite, or is cut short, is bad input naming the file")
    func badFiles() throws {
        let dir = temporaryDirectory()
        let entry = try #require(try TFLiteTestSet.prepared.get().first { $0.name == "blazeface" })
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: entry.model)))
        for (label, data) in [("notflite", [UInt8](repeating: 7, count: 64)), ("cut", Array(bytes.prefix(bytes.count / 3))),
                              ("scrambled", bytes.enumerated().map { $0.offset % 97 == 13 ? $0.element ^ 0xA5 : $0.element })] {
            let path = dir + "/\(label).tflite"
            try Data(data).write(to: URL(fileURLWithPath: path))
            do {
                _ = try NativeSession(model: try TFLite.load(path: path), threads: 1, backend: .reference)
                    .run([Tensor(shape: entry.inputShape, floats: [Float](repeating: 0, count: entry.inputShape.reduce(1, *)))])
                // A scrambled file may still be well formed; then it must at least run without trapping.
            } catch {
                #expect(error.kind == .badInput || error.kind == .failure, "\(label): \(error)")
                #expect(error.description.contains(path) || error.kind == .failure, "\(label): \(error)")
            }
        }
    }
}
