import Foundation
import KenningBlocks
import KenningCore
import KenningModel
import KenningNative
import Testing

/// The CNN test set (ImageNet models from the installed `onnx` package, MobileNetV2 from scripts/make-mobilenetv2.py)
/// with ONNX Runtime's logits, prepared once by scripts/make-test-models.py into build/models.
enum CNNTestSet {
    struct Entry: Sendable, CustomTestStringConvertible {
        let name: String
        let model: String
        let inputShape: [Int]
        let outputShape: [Int]
        var testDescription: String { name }
    }

    static let directory = repo("build/models")

    /// Runs the preparation script once per test process (it returns at once when its stamp is current).
    static let prepared: Result<[Entry], PreparationError> = preparedManifest(script: "scripts/make-test-models.py", directory: directory)
            .map { list in
                list.compactMap { e in
                    guard let name = e["name"] as? String, let model = e["model"] as? String, let input = e["input_shape"] as? [Int],
                          let output = e["output_shape"] as? [Int] else { return nil }
                    return Entry(name: name, model: model.hasPrefix("/") ? model : repo(model), inputShape: input, outputShape: output)
                }
            }

    /// Runs `script DIRECTORY` with the test venv's Python and reads the `manifest.json` it leaves there.
    static func preparedManifest(script: String, directory: String) -> Result<[[String: Any]], PreparationError> {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: repo(".venv/bin/python"))
        p.arguments = [repo(script), directory]
        p.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
        do { try p.run() } catch { return .failure(PreparationError(reason: "cannot start .venv/bin/python (run scripts/setup-python): \(error)")) }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return .failure(PreparationError(reason: "\(script) exited with \(p.terminationStatus)")) }
        guard let data = FileManager.default.contents(atPath: directory + "/manifest.json"),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return .failure(PreparationError(reason: "no manifest in \(directory)")) }
        return .success(list)
    }

    struct PreparationError: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// The nine ImageNet CNNs of the onnx package and MobileNetV2.
    static let names = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet", "squeezenet",
                        "vgg19", "zfnet512", "mobilenetv2"]

    static func floats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}

/// Every model × every backend against ONNX Runtime: max |native − ORT| / max |ORT| over the logits ≤ 1e-3.
@Suite(.serialized) struct NativeBackendsAgainstONNXRuntime {
    @Test("the native runtime matches ONNX Runtime on every backend", arguments: CNNTestSet.names)
    func matchesONNXRuntime(_ name: String) throws {
        let entries = try CNNTestSet.prepared.get()
        guard let entry = entries.first(where: { $0.name == name }) else {
            // The onnx package decides which light models it ships; a missing one is reported, not failed.
            withKnownIssue("\(name) is not in this onnx package's test data") { throw CNNTestSet.PreparationError(reason: name) }
            return
        }
        let model = try ONNX.load(path: entry.model)
        let x = Tensor(shape: entry.inputShape, floats: try CNNTestSet.floats(CNNTestSet.directory + "/\(name).in.f32"))
        let expected = try CNNTestSet.floats(CNNTestSet.directory + "/\(name).out0.f32")
        let scale = expected.map { abs($0) }.max() ?? 1
        #expect(scale > 0)
        for backend in NativeBackend.allCases {
            let session = try NativeSession(model: model, threads: 2, backend: backend)
            let y = try session.run([x])[0]
            #expect(y.shape == entry.outputShape, "\(name) on \(backend.rawValue): output shape \(y.shape)")
            let worst = zip(y.floats, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst / scale <= 1e-3, "\(name) on \(backend.rawValue): max relative error \(worst / scale)")
            if backend != .reference {
                let heavy = session.plannedProviders.filter { ["Conv", "com.microsoft.FusedConv"].contains($0.op) }
                // Every convolution runs on the backend, except depthwise ones on OpenBLAS (kept on the Swift kernel).
                let onBackend = heavy.filter { $0.provider == backend.resolved.rawValue }.count
                #expect(backend == .openblas ? onBackend > 0 : onBackend == heavy.count,
                        "\(name) on \(backend.rawValue): \(onBackend) of \(heavy.count) convolutions on the backend")
            }
        }
    }
}

@Suite struct NativeBackendBehaviour {
    static func digits() throws -> (Model, Tensor) {
        let ds = try DigitsDataset(try resolved(DigitsDataset.description.parameters, [("dataset_root", .string(repo("data/digits")))]))
        let x = Tensor(shape: [7, 1, 8, 8], floats: ds.testIndices.prefix(7).flatMap { ds.sample($0).map { $0 / 16 } })
        return (try ONNX.load(path: repo("models/digits-cnn.onnx")), x)
    }

    @Test("every backend agrees with the reference on the digits CNN at 1 and 2 threads, batch 7 then 1")
    func digitsAgree() throws {
        let (model, x) = try Self.digits()
        let reference = try NativeSession(model: model, threads: 1).run([x])[0].floats
        let single = Tensor(shape: [1, 1, 8, 8], floats: Array(x.floats.prefix(64)))
        let referenceSingle = try NativeSession(model: model, threads: 1).run([single])[0].floats
        for backend in NativeBackend.allCases {
            for threads in [1, 2] {
                let session = try NativeSession(model: model, threads: threads, backend: backend)
                for _ in 0..<2 {  // the second run reuses the primitives planned by the first
                    let y = try session.run([x])[0].floats
                    #expect(zip(y, reference).map { abs($0 - $1) }.max()! < 1e-5, "\(backend.rawValue), \(threads) thread(s)")
                }
                let y1 = try session.run([single])[0].floats  // a new input shape gets its own primitives
                #expect(zip(y1, referenceSingle).map { abs($0 - $1) }.max()! < 1e-5, "\(backend.rawValue), batch 1")
            }
        }
    }

    @Test("auto resolves to oneDNN, and the runtime block accepts every backend name")
    func autoAndParameters() throws {
        #expect(NativeBackend.auto.resolved == .onednn)
        for name in NativeBackend.names {
            let runtime = try NativeRuntime(try resolved(NativeRuntime.description.parameters, [("save_model_path", .string("m.onnx")), ("backend", .string(name))]))
            #expect(runtime.backend.rawValue == name)
        }
        #expect(throws: KenningError.self) {
            try NativeRuntime(try resolved(NativeRuntime.description.parameters, [("save_model_path", .string("m.onnx")), ("backend", .string("cuda"))]))
        }
    }

    @Test("grouped, strided, dilated and padded convolutions with every fused activation agree with the reference")
    func convolutionVariants() throws {
        var rng = SplitMix64(seed: 42)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(Int(rng.next() % 2001) - 1000) / 1000 } }
        let cases: [(c: Int, m: Int, k: Int, group: Int, stride: Int, dilation: Int, pads: [Int], act: String, params: [Float])] = [
            (8, 16, 3, 1, 1, 1, [1, 1, 1, 1], "Relu", []),
            (8, 8, 3, 8, 2, 1, [1, 1, 1, 1], "Clip", [0, 6]),       // depthwise, stride 2
            (12, 6, 3, 3, 1, 2, [2, 2, 2, 2], "LeakyRelu", [0.1]),  // grouped, dilated
            (4, 5, 5, 1, 2, 1, [0, 1, 2, 1], "Sigmoid", []),        // asymmetric pads
            (6, 4, 1, 1, 1, 1, [0, 0, 0, 0], "Tanh", []),           // 1x1
            (6, 4, 3, 2, 1, 1, [0, 0, 0, 0], "", []),               // no bias activation, grouped
        ]
        for (i, t) in cases.enumerated() {
            var attributes: [(String, AttributeValue)] = [("kernel_shape", .ints([t.k, t.k])), ("group", .int(t.group)),
                                                          ("strides", .ints([t.stride, t.stride])), ("dilations", .ints([t.dilation, t.dilation])),
                                                          ("pads", .ints(t.pads))]
            if !t.act.isEmpty { attributes.append(("activation", .string(t.act))) }
            if !t.params.isEmpty { attributes.append(("activation_params", .floats(t.params))) }
            let node = Node(name: "conv\(i)", opType: "FusedConv", domain: "com.microsoft", inputs: ["x", "w", "b"], outputs: ["y"],
                            attributes: attributes)
            let w = Tensor(shape: [t.m, t.c / t.group, t.k, t.k], floats: random(t.m * t.c / t.group * t.k * t.k))
            let b = Tensor(shape: [t.m], floats: random(t.m))
            let graph = Graph(name: "g", nodes: [node], initializers: [("w", w), ("b", b)],
                              inputs: [ValueInfo(name: "x", elementType: .float32, shape: [.fixed(2), .fixed(t.c), .fixed(11), .fixed(9)])],
                              outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)])
            let model = Model(opsets: [OperatorSet(domain: "", version: 13), OperatorSet(domain: "com.microsoft", version: 1)], graph: graph)
            let x = Tensor(shape: [2, t.c, 11, 9], floats: random(2 * t.c * 11 * 9))
            let reference = try NativeSession(model: model, threads: 1).run([x])[0]
            for backend in NativeBackend.allCases where backend != .reference {
                let y = try NativeSession(model: model, threads: 2, backend: backend).run([x])[0]
                #expect(y.shape == reference.shape)
                let worst = zip(y.floats, reference.floats).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst < 1e-4, "case \(i) on \(backend.rawValue): max difference \(worst)")
            }
        }
    }

    @Test("Shape → Gather → Unsqueeze → Concat → Reshape flattens any batch size, after a convolution on every backend")
    func dynamicReshape() throws {
        let w = Tensor(shape: [4, 3, 3, 3], floats: (0..<108).map { Float($0 % 7) / 7 - 0.4 })
        let nodes = [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"], attributes: [("pads", .ints([1, 1, 1, 1]))]),
            Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["r"]),
            Node(name: "shape", opType: "Shape", inputs: ["r"], outputs: ["s"]),
            Node(name: "batch", opType: "Gather", inputs: ["s", "zero"], outputs: ["n"], attributes: [("axis", .int(0))]),
            Node(name: "unsqueeze", opType: "Unsqueeze", inputs: ["n", "axes"], outputs: ["n1"]),
            Node(name: "concat", opType: "Concat", inputs: ["n1", "minus1"], outputs: ["target"], attributes: [("axis", .int(0))]),
            Node(name: "reshape", opType: "Reshape", inputs: ["r", "target"], outputs: ["y"]),
        ]
        let graph = Graph(name: "g", nodes: nodes,
                          initializers: [("w", w), ("zero", Tensor(shape: [], ints: [0])), ("axes", Tensor(shape: [1], ints: [0])),
                                         ("minus1", Tensor(shape: [1], ints: [-1]))],
                          inputs: [ValueInfo(name: "x", elementType: .float32, shape: [.symbolic("N"), .fixed(3), .fixed(5), .fixed(5)])],
                          outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)])
        let model = Model(opsets: [OperatorSet(domain: "", version: 13)], graph: graph)
        let shapes = try ShapeInference.infer(model, inputShapes: ["x": [2, 3, 5, 5]], evaluate: NativeSession.evaluate)
        #expect(shapes["y"] == [2, 100])
        for batch in [2, 5] {
            let x = Tensor(shape: [batch, 3, 5, 5], floats: (0..<(batch * 75)).map { Float($0 % 11) / 11 - 0.5 })
            let reference = try NativeSession(model: model, threads: 1).run([x])[0]
            #expect(reference.shape == [batch, 100])
            for backend in NativeBackend.allCases {
                let y = try NativeSession(model: model, threads: 2, backend: backend).run([x])[0]
                #expect(y.shape == [batch, 100])
                #expect(zip(y.floats, reference.floats).map { abs($0 - $1) }.max()! < 1e-5, "\(backend.rawValue), batch \(batch)")
            }
        }
    }

    @Test("KENNING_PROFILE-style profiling reports every op with its kernel")
    func profileReport() throws {
        let (model, x) = try Self.digits()
        let session = try NativeSession(model: model, threads: 1, backend: .onednn, profile: true)
        _ = try session.run([x])
        let report = session.profileReport()
        #expect(report.contains("backend onednn"))
        #expect(report.contains("FusedConv [onednn]"))
        #expect(report.contains("MaxPool [onednn]"))
        #expect(report.contains("Softmax [onednn]"))
        #expect(report.contains("Flatten [reference]") || report.contains("Reshape [reference]"))
    }
}
