import Foundation
import KenningBlocks
import KenningCore
import KenningWorkers
import Testing

func runPython(_ python: String, _ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    p.environment = env
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, text)
}

/// PetDataset on a small fixture in the Oxford-IIIT Pet layout, decoded by Pillow in an `images` worker.
@Suite struct PetDatasetTests {
    @Test func readsTheLayoutAndDecodesThroughTheWorker() throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "run scripts/setup-frameworks")
        let dir = temporaryDirectory()
        let (status, text) = try runPython(WorkerEnvironment.python!, [repo("scripts/pet_fixture.py"), "images", dir, "2"])
        #expect(status == 0, "\(text)")
        func make(_ extra: [(String, JSONValue)]) throws -> PetDataset {
            try PetDataset(try resolved(PetDataset.description.parameters,
                                        [("dataset_root", .string(dir)), ("split_fraction_test", 0.5), ("image_size", 32)] + extra))
        }
        let ds = try make([])
        #expect(ds.classNames.count == 37 && ds.classNames[0] == "Abyssinian" && ds.classNames[1] == "american_bulldog")
        #expect(ds.sampleShape == [32, 32, 3])
        #expect(ds.testIndices.count == 37 && ds.trainIndices.count == 37)
        let pixels = ds.sample(ds.testIndices[0])
        #expect(pixels.count == 32 * 32 * 3 && pixels.allSatisfy { $0 >= 0 && $0 <= 255 } && Set(pixels).count > 10)
        #expect(FileManager.default.fileExists(atPath: dir + "/.kenning-pixels-32.u8"))
        // The second read comes from the cache, identical.
        let again = try make([])
        #expect(again.sample(ds.testIndices[0]) == pixels)
        let species = try make([("classify_by", "species")])
        #expect(species.classNames == ["Cat", "Dog"] && species.label(0) == 0 && species.label(2) == 1)
        // A missing folder is a bad input that says what to do.
        let params = try resolved(PetDataset.description.parameters, [("dataset_root", .string(dir + "/nowhere"))])
        do {
            _ = try PetDataset(params)
            Issue.record("no error")
        } catch {
            #expect(error.kind == .badInput && error.description.contains("make-pet-fixture"))
        }
    }
}

/// Keras → TFLite through TensorFlow's converter (optional: scripts/setup-frameworks --with-tensorflow, 1.5 GB).
@Suite(.serialized) struct KerasPath {
    static let ready = WorkerEnvironment.unavailableReason(for: "tensorflow") == nil

    @Test(.enabled(if: ready, "needs the optional TensorFlow venv: scripts/setup-frameworks --with-tensorflow"),
          arguments: [("default", Float(1e-5)), ("float16", Float(1e-2)), ("int8", Float(0.1))])
    func kerasToTFLite(target: String, tolerance: Float) throws {
        let dir = temporaryDirectory()
        let script = """
        import numpy as np, keras
        keras.utils.set_random_seed(0)
        inp = keras.Input(shape=(8, 8, 1), name="input_1")
        h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
        h = keras.layers.Flatten()(h)
        out = keras.layers.Dense(10, activation="softmax", name="out_layer")(h)
        m = keras.Model(inp, out)
        m.save("\(dir)/m.h5")
        x = np.fromfile("\(dir)/x.f32", dtype=np.float32).reshape(-1, 8, 8, 1)
        m.predict(x, verbose=0).astype(np.float32).tofile("\(dir)/ref.f32")
        """
        let ds = try DigitsDataset(try resolved(DigitsDataset.description.parameters, [("dataset_root", .string(repo("data/digits")))]))
        let io = IOSpec(inputs: [TensorSpec(name: "input_1", shape: [-1, 8, 8, 1], elementType: .float32)],
                        outputs: [TensorSpec(name: "out_layer", shape: [-1, 10], elementType: .float32)])
        let wrapper = try ONNXImageClassifier(try resolved(ONNXImageClassifier.description.parameters,
                                                           [("model_path", .string(repo("models/digits-cnn.onnx"))), ("input_std", 16.0),
                                                            ("input_layout", "NHWC")]))
        let samples = ds.testIndices.prefix(64).map(ds.sample)
        let x = try wrapper.preprocess(Array(samples), sampleShape: ds.sampleShape, io: io)[0]
        x.floats.withUnsafeBufferPointer { try! Data(buffer: $0).write(to: URL(fileURLWithPath: dir + "/x.f32")) }
        let (status, text) = try runPython(WorkerEnvironment.python(for: "tensorflow")!, ["-c", script])
        try #require(status == 0, "\(text)")
        let reference = try Data(contentsOf: URL(fileURLWithPath: dir + "/ref.f32")).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }

        let compiler = try TFLiteCompiler(try resolved(TFLiteCompiler.description.parameters,
                                                       [("compiled_model_path", .string(dir + "/m.tflite")), ("target", .string(target))]))
        let artifact = try compiler.compile(ModelArtifact(path: dir + "/m.h5", format: .keras, io: io),
                                            context: OptimizationContext(dataset: ds, modelWrapper: wrapper))
        #expect(artifact.format == .tflite)
        let runtime = try TFLiteRuntime(try resolved(TFLiteRuntime.description.parameters, [("save_model_path", .string(artifact.path))]))
        let session = try runtime.load(artifact)
        let timed = try session.runTimed([[x]])
        let y = timed[0].outputs[0]
        #expect(y.shape == [64, 10])
        let worst = zip(y.floats, reference).map { abs($0 - $1) }.max()!
        #expect(worst <= tolerance, "\(target): max difference to keras \(worst)")
        #expect(timed[0].seconds > 0)
    }
}
