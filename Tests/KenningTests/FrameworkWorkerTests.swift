import Foundation
import KenningBlocks
import KenningCore
import KenningModel
import KenningNative
import KenningWorkers
import Testing

/// Shared inputs: the digits test split, preprocessed, and ONNX Runtime's outputs on it (scripts/ort_run.py, .venv).
enum DigitsReference {
    struct Data: Sendable {
        var dataset: DigitsDataset
        var wrapper: ONNXImageClassifier
        var artifact: ModelArtifact
        var input: Tensor
        var reference: [Float]
    }

    /// Built once; a missing test venv is a failure with a reason, never a crash of the test process.
    static let loaded = Result<Data, any Error> {
        let ds = try DigitsDataset(try resolved(DigitsDataset.description.parameters, [("dataset_root", .string(repo("data/digits")))]))
        let wrapper = try ONNXImageClassifier(try resolved(ONNXImageClassifier.description.parameters,
                                                           [("model_path", .string(repo("models/digits-cnn.onnx"))), ("input_std", .double(16))]))
        let artifact = try wrapper.artifact()
        let input = try wrapper.preprocess(ds.testIndices.map(ds.sample), sampleShape: ds.sampleShape, io: artifact.io)[0]
        guard FileManager.default.isExecutableFile(atPath: repo(".venv/bin/python")) else {
            throw KenningError.failure("the test venv is missing", fix: "run scripts/setup-python")
        }
        let reference = try onnxRuntimeOutputs(model: artifact.path, input: input.floats, shape: input.shape)
        return Data(dataset: ds, wrapper: wrapper, artifact: artifact, input: input, reference: reference)
    }

    /// The digits model, its test split and ONNX Runtime's outputs on it.
    static func get() throws -> Data { try loaded.get() }

    static func accuracy(_ scores: [Float], _ ds: DigitsDataset) -> Double {
        let correct = ds.testIndices.enumerated().filter { k, i in
            let row = Array(scores[(k * 10)..<(k * 10 + 10)])
            return row.firstIndex(of: row.max()!) == ds.label(i)
        }.count
        return Double(correct) / Double(ds.testIndices.count)
    }
}

/// Every framework block, compiled and run on the digits model through its worker: outputs against ONNX Runtime,
/// accuracy preserved, inference time reported by the worker. Needs scripts/setup-frameworks (scripts/test runs it).
@Suite(.serialized) struct FrameworkBlocks {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var optimizers: [(BlockDescription, [(String, JSONValue)])]
        var runtime: (BlockDescription, [(String, JSONValue)])
        var tolerance: Float
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ONNXRuntime", optimizers: [], runtime: (ONNXRuntime.description, [("intra_op_num_threads", 1)]), tolerance: 1e-5),
        Case(name: "ONNXRuntime, no graph optimizations", optimizers: [],
             runtime: (ONNXRuntime.description, [("graph_optimization_level", "disable")]), tolerance: 1e-5),
        Case(name: "ONNXRuntimeQuantizer static QDQ → ONNXRuntime",
             optimizers: [(ONNXRuntimeQuantizer.description, [("quantization", "static"), ("per_channel", true)])],
             runtime: (ONNXRuntime.description, []), tolerance: 0.1),
        Case(name: "ONNXRuntimeQuantizer dynamic → ONNXRuntime", optimizers: [(ONNXRuntimeQuantizer.description, [("quantization", "dynamic")])],
             runtime: (ONNXRuntime.description, []), tolerance: 0.1),
        Case(name: "OpenVINORuntime on ONNX", optimizers: [], runtime: (OpenVINORuntime.description, [("num_threads", 1)]), tolerance: 1e-4),
        Case(name: "OpenVINOCompiler → OpenVINORuntime", optimizers: [(OpenVINOCompiler.description, [])],
             runtime: (OpenVINORuntime.description, [("performance_hint", "THROUGHPUT")]), tolerance: 1e-4),
        Case(name: "OpenVINOCompiler FP16 → OpenVINORuntime", optimizers: [(OpenVINOCompiler.description, [("precision", "FP16")])],
             runtime: (OpenVINORuntime.description, []), tolerance: 0.05),
        Case(name: "IREECompiler → IREERuntime", optimizers: [(IREECompiler.description, [])],
             runtime: (IREERuntime.description, [("driver", "local-task")]), tolerance: 1e-4),
        Case(name: "TVMCompiler NHWC → TVMRuntime",
             optimizers: [(TVMCompiler.description, [("target", "llvm"), ("opt_level", 3), ("conv2d_data_layout", "NHWC")])],
             runtime: (TVMRuntime.description, [("num_threads", 1)]), tolerance: 1e-4),
        Case(name: "TFLiteCompiler → TFLiteRuntime (XNNPACK)", optimizers: [(TFLiteCompiler.description, [])],
             runtime: (TFLiteRuntime.description, [("num_threads", 1)]), tolerance: 1e-4),
        Case(name: "TFLiteCompiler → TFLiteRuntime (built-in kernels)", optimizers: [(TFLiteCompiler.description, [])],
             runtime: (TFLiteRuntime.description, [("use_xnnpack", false), ("num_threads", 2)]), tolerance: 1e-4),
    ]

    static func make(_ d: BlockDescription, _ values: [(String, JSONValue)]) throws -> BlockMaker {
        try #require(BlockRegistry.builtIn.find(d.name)).maker
    }

    @Test(arguments: cases) func compilesRunsAndAgrees(_ c: Case) throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "\(WorkerEnvironment.unavailableReason ?? ""): run scripts/setup-frameworks")
        let ref = try DigitsReference.get()
        let dir = temporaryDirectory()
        var artifact = ref.artifact
        let context = OptimizationContext(dataset: ref.dataset, modelWrapper: ref.wrapper)
        for (i, (d, values)) in c.optimizers.enumerated() {
            guard case let .optimizer(make) = try Self.make(d, values) else { Issue.record("not an optimizer"); return }
            let block = try make(try resolved(d.parameters, [("compiled_model_path", .string("\(dir)/step\(i).bin"))] + values))
            artifact = try block.compile(artifact, context: context)
            #expect(artifact.format == block.outputFormat)
            #expect(FileManager.default.fileExists(atPath: artifact.path) && FileManager.default.fileExists(atPath: artifact.path + ".json"))
        }
        guard case let .runtime(make) = try Self.make(c.runtime.0, c.runtime.1) else { Issue.record("not a runtime"); return }
        let runtime = try make(try resolved(c.runtime.0.parameters, [("save_model_path", .string(artifact.path))] + c.runtime.1))
        #expect(runtime.inputFormats.contains(artifact.format))
        #expect(runtime.framework.version != "not installed")
        let session = try runtime.load(artifact)
        // The whole test split as one batch, then one sample (batch resizing / per-sample paths).
        let timed = try session.runTimed([[ref.input]])
        let scores = timed[0].outputs[0]
        #expect(scores.shape == [ref.dataset.testIndices.count, 10])
        let worst = zip(scores.floats, ref.reference).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= c.tolerance, "\(c.name): max difference to ONNX Runtime \(worst)")
        let accuracy = DigitsReference.accuracy(scores.floats, ref.dataset)
        #expect(accuracy >= 0.97, "\(c.name): accuracy \(accuracy)")
        #expect(timed[0].seconds > 0 && timed[0].seconds < 30)
        let one = Tensor(shape: [1, 1, 8, 8], floats: Array(ref.input.floats.prefix(64)))
        let single = try session.run([one])[0]
        #expect(single.shape == [1, 10])
        #expect(zip(single.floats, ref.reference.prefix(10)).map { abs($0 - $1) }.max()! <= c.tolerance)
        // Streamed: three single samples and the whole split in one call; each set is its own timed inference, in order.
        let samples = (0..<3).map { k in Tensor(shape: [1, 1, 8, 8], floats: Array(ref.input.floats[(k * 64)..<((k + 1) * 64)])) }
        let streamed = try session.runTimed(samples.map { [$0] } + [[ref.input]])
        #expect(streamed.count == 4)
        for k in 0..<3 {
            #expect(streamed[k].outputs[0].shape == [1, 10])
            #expect(zip(streamed[k].outputs[0].floats, ref.reference[(k * 10)..<((k + 1) * 10)]).map { abs($0 - $1) }.max()! <= c.tolerance)
            #expect(streamed[k].seconds > 0 && streamed[k].finished <= streamed[k + 1].finished)
        }
        #expect(streamed[3].outputs[0].shape == [ref.dataset.testIndices.count, 10])
    }

    /// ONNX Runtime's own static quantizer with 7-bit weights (reduce_range true, what auto picks without VNNI) and
    /// with 8-bit ones, run by ONNX Runtime on an emulated AVX2-only CPU: the 7-bit model equals its float simulation
    /// there and keeps the accuracy; the 8-bit one's saturation error is printed.
    @Test(arguments: [true, false]) func onnxRuntimeQuantizerReduceRange(_ reduce: Bool) throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "\(WorkerEnvironment.unavailableReason ?? ""): run scripts/setup-frameworks")
        try #require(FileManager.default.isExecutableFile(atPath: qemuUser), "qemu-user is missing: run scripts/test (it installs qemu-user)")
        let ref = try DigitsReference.get()
        let dir = temporaryDirectory()
        let q = try ONNXRuntimeQuantizer(try resolved(ONNXRuntimeQuantizer.description.parameters,
                                                      [("compiled_model_path", .string(dir + "/q.onnx")), ("per_channel", true),
                                                       ("reduce_range", .bool(reduce))]))
        let artifact = try q.compile(ref.artifact, context: OptimizationContext(dataset: ref.dataset, modelWrapper: ref.wrapper))
        let record = try #require(IOSpecFile.quantization(nextTo: artifact.path))
        #expect(record["quantizer"] == "ONNXRuntimeQuantizer" && record["reduce_range"]?.boolValue == reduce)
        #expect(record["cpu"]?["isa_flags"]?.arrayValue?.isEmpty == false)
        let model = try ONNX.load(path: artifact.path)
        let widest = model.graph.initializers.values.reduce(0) { m, t in
            guard case let .int8(v) = t.storage, t.shape.count == 4 else { return m }
            return max(m, v.reduce(0) { max($0, abs(Int($1))) })
        }
        #expect(reduce ? widest <= 64 : widest > 64, "widest weight \(widest)")
        let simulated = try NativeSession(model: model, threads: 1, backend: .reference).run([ref.input])[0].floats
        let emulated = try onnxRuntimeOutputs(model: artifact.path, input: ref.input.floats, shape: ref.input.shape, cpu: "Haswell")
        let worst = zip(emulated, simulated).map { abs($0 - $1) }.max() ?? 1
        let accuracy = DigitsReference.accuracy(emulated, ref.dataset)
        print("ONNXRuntimeQuantizer reduce_range=\(reduce) → ONNX Runtime on emulated Haswell: max |Δp| vs float simulation \(worst), accuracy \(accuracy)")
        if reduce {
            #expect(worst <= 0.05, "\(worst) from the float simulation")
            #expect(accuracy >= 0.97)
        }
    }

    @Test func versionsComeFromTheSetup() {
        #expect(WorkerEnvironment.versions["onnxruntime"] == "1.32.0")
        #expect(WorkerEnvironment.versions["apache-tvm"] == "0.27.0.post1")
        #expect(ONNXRuntime.description.kenningModule == "kenning.runtimes.onnx")
    }

    @Test func compilerErrorsAreClear() throws {
        let ref = try DigitsReference.get()
        let dir = temporaryDirectory()
        // A quantized model has ops our ONNX→TFLite converter does not translate: onnx2tf converts it when its venv is
        // set up; otherwise the failure names the op and the setup command.
        let q = try ONNXRuntimeQuantizer(try resolved(ONNXRuntimeQuantizer.description.parameters,
                                                      [("compiled_model_path", .string(dir + "/q.onnx")), ("quantization", "dynamic")]))
        let quantized = try q.compile(ref.artifact, context: OptimizationContext(dataset: nil, modelWrapper: ref.wrapper))
        let t = try TFLiteCompiler(try resolved(TFLiteCompiler.description.parameters, [("compiled_model_path", .string(dir + "/m.tflite"))]))
        do {
            let converted = try t.compile(quantized, context: OptimizationContext(dataset: nil, modelWrapper: ref.wrapper))
            #expect(WorkerEnvironment.unavailableReason(for: "onnx2tf") == nil, "converted without onnx2tf")
            #expect(FileManager.default.contents(atPath: converted.path).map { $0[4..<8] == Data("TFL3".utf8) } == true)
        } catch {
            #expect(WorkerEnvironment.unavailableReason(for: "onnx2tf") != nil, "\(error)")
            #expect(error.kind == .failure)
            #expect(error.description.contains("UnsupportedOp") && error.description.contains("scripts/setup-frameworks --with-onnx2tf"))
        }
        // Static quantization without a dataset is a bad input, found before any worker starts.
        let s = try ONNXRuntimeQuantizer(try resolved(ONNXRuntimeQuantizer.description.parameters, [("compiled_model_path", .string(dir + "/s.onnx"))]))
        #expect(throws: KenningError.self) { try s.compile(ref.artifact, context: OptimizationContext(dataset: nil, modelWrapper: ref.wrapper)) }
        // Targets that need TensorFlow are refused for ONNX input, before a worker starts; edgetpu always.
        let int8 = try TFLiteCompiler(try resolved(TFLiteCompiler.description.parameters, [("compiled_model_path", .string(dir + "/x")), ("target", "int8")]))
        do {
            _ = try int8.compile(ref.artifact, context: OptimizationContext(dataset: ref.dataset, modelWrapper: ref.wrapper))
            Issue.record("int8 from ONNX")
        } catch {
            #expect(error.kind == .badInput && error.description.contains("need a keras input"))
        }
        #expect(throws: KenningError.self) {
            try TFLiteCompiler(try resolved(TFLiteCompiler.description.parameters, [("compiled_model_path", .string(dir + "/x")), ("target", "edgetpu")]))
        }
    }
}

/// A worker that crashes, hangs or answers garbage fails that session only, with a clear error, and leaves no process.
@Suite(.serialized) struct WorkerFailures {
    func session(fault: String, timeouts: WorkerTimeouts = WorkerTimeouts(ignoreEnvironment: true)) throws -> WorkerInferenceSession {
        let ref = try DigitsReference.get()
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: ref.artifact.path)))
        return try WorkerInferenceSession(framework: "onnxruntime", runtimeType: "ONNXRuntime", parameters: .object([]), io: ref.artifact.io,
                                          model: .bytes(data), timeouts: timeouts, environment: workerFaultEnvironment(fault))
    }

    func gone(_ pid: pid_t) -> Bool {
        for _ in 0..<200 {
            if kill(pid, 0) != 0 { return true }
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), stat.contains(") Z ") { return true }
            usleep(25_000)
        }
        return false
    }

    func expectFailure(_ fault: String, timeouts: WorkerTimeouts = WorkerTimeouts(ignoreEnvironment: true), contains words: [String]) throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "run scripts/setup-frameworks")
        let input = try DigitsReference.get().input
        let s = try session(fault: fault, timeouts: timeouts)
        let pid = s.worker.process.pid
        do {
            _ = try s.run([input])
            Issue.record("\(fault): no error")
        } catch {
            #expect(error.kind == .failure)
            for w in words { #expect(error.description.contains(w), "\(fault): \(error.description)") }
        }
        #expect(gone(pid), "\(fault): worker \(pid) still running")
        // The session is unusable afterwards, but asking again is still a clean error.
        #expect(throws: KenningError.self) { try s.run([input]) }
    }

    @Test func crash() throws {
        try expectFailure("crash", contains: ["onnxruntime worker", "signal 9"])
    }

    @Test func hang() throws {
        var t = WorkerTimeouts(ignoreEnvironment: true)
        t.request = 1.5
        try expectFailure("hang", timeouts: t, contains: ["no answer within 1.5 s"])
    }

    @Test func garbage() throws {
        try expectFailure("garbage", contains: ["protocol violation"])
    }

    @Test func startFailureIsReported() throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "run scripts/setup-frameworks")
        do {
            _ = try FrameworkWorker(framework: "no-such-framework")
            Issue.record("started")
        } catch {
            #expect(error.description.contains("while starting") && error.description.contains("invalid choice"))
        }
    }

    /// The host dies without stopping its worker (kill -9): the worker notices (stdin EOF) and exits with its group.
    @Test func workerDiesWithItsHost() throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "run scripts/setup-frameworks")
        let dir = temporaryDirectory()
        let script = """
        import os, subprocess, sys, time
        p = subprocess.Popen([sys.executable, "-m", "kenning_worker", "--port", "0", "--framework", "tflite",
                              "--port-file", "\(dir)/port"], stdin=subprocess.PIPE, start_new_session=True)
        while not os.path.exists("\(dir)/port"): time.sleep(0.02)
        print(p.pid, flush=True)
        os.kill(os.getpid(), 9)
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: WorkerEnvironment.python!)
        p.arguments = ["-c", script]
        p.environment = ["PYTHONPATH": repo("workers/python")]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let pid = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(gone(pid), "orphaned worker \(pid) still running")
    }
}

/// Pooled workers: a run leaves its healthy worker to the next one with the same settings, which starts clean; a run
/// that finds the slot taken starts its own; a dead worker is replaced; the owner's shutdown stops them all.
@Suite(.serialized) struct WorkerPooling {
    func session(_ pool: WorkerPool.Location, key: String = "onnxruntime") throws -> WorkerInferenceSession {
        let ref = try DigitsReference.get()
        return try WorkerInferenceSession(framework: "onnxruntime", runtimeType: "ONNXRuntime", parameters: .object([]), io: ref.artifact.io,
                                          model: .file(ref.artifact.path), timeouts: WorkerTimeouts(ignoreEnvironment: true), poolKey: key, pool: pool)
    }

    func running(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }

    @Test func runsTakeTurnsOnOneWorker() throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "run scripts/setup-frameworks")
        let ref = try DigitsReference.get()
        let pool = WorkerPool.Location(folder: temporaryDirectory() + "/pool", owner: getpid())
        var first: WorkerInferenceSession? = try session(pool)
        let pid = try #require(first?.worker.process.pid)
        let a = try #require(first).runTimed([[ref.input]])
        first = nil
        #expect(running(pid), "the pooled worker stopped with its first run")

        let second = try session(pool)
        #expect(second.worker.process.pid == pid)
        let b = try second.runTimed([[ref.input]])
        #expect(b[0].outputs == a[0].outputs)
        // The slot is taken while `second` holds it: a third session starts a worker of its own, stopped with it.
        var third: WorkerInferenceSession? = try session(pool)
        let own = try #require(third?.worker.process.pid)
        #expect(own != pid)
        third = nil
        #expect(!running(own))
        // Another process-wide setting is another slot.
        let other = try session(pool, key: "onnxruntime-threads_2")
        #expect(other.worker.process.pid != pid)
        withExtendedLifetime((second, other)) {}
        WorkerPool.shutdown(folder: pool.folder)
    }

    /// A worker started ahead by the pool's owner is the one the first run takes (it waits for it rather than
    /// starting its own); inputs through the slot's shared-memory file give the outputs inputs through messages give,
    /// chunk after chunk; the file is gone after the shutdown.
    @Test func startedAheadAndSharedInputs() throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "run scripts/setup-frameworks")
        let ref = try DigitsReference.get()
        let pool = WorkerPool.Location(folder: temporaryDirectory() + "/pool", owner: getpid())
        let ready = WorkerPool.startAhead(framework: "onnxruntime", key: "onnxruntime", in: pool)
        var first: WorkerInferenceSession? = try session(pool)
        ready()
        let pid = try #require(first?.worker.process.pid)
        #expect(first?.worker.poolSlot != nil, "the first run started a private worker instead of waiting")
        let rows = ref.input.shape[0]
        let per = ref.input.count / rows
        let sets = (0..<5).map { i in [Tensor(shape: [3] + ref.input.shape.dropFirst(), floats: Array(ref.input.floats[(i * 3 * per)..<((i * 3 + 3) * per)]))] }
        let shared = try #require(first).runTimed(sets) + (try #require(first).runTimed(Array(sets.prefix(2))))
        first = nil
        let second = try session(pool)
        #expect(second.worker.process.pid == pid)
        let bytes = try [UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: ref.artifact.path)))
        let viaMessages = try WorkerInferenceSession(framework: "onnxruntime", runtimeType: "ONNXRuntime", parameters: .object([]),
                                                     io: ref.artifact.io, model: .bytes(bytes), timeouts: WorkerTimeouts(ignoreEnvironment: true))
        let expected = try viaMessages.runTimed(sets) + viaMessages.runTimed(Array(sets.prefix(2)))
        #expect(shared.map(\.outputs) == expected.map(\.outputs))
        #expect(viaMessages.sharedInputPath == nil)
        let slotFile = try #require(second.sharedInputPath)
        #expect(FileManager.default.fileExists(atPath: slotFile))
        withExtendedLifetime(second) {}
        WorkerPool.shutdown(folder: pool.folder)
        #expect(!FileManager.default.fileExists(atPath: slotFile))
        // A private worker's file goes with its session.
        var own: WorkerInferenceSession? = try WorkerInferenceSession(framework: "onnxruntime", runtimeType: "ONNXRuntime", parameters: .object([]),
                                                                      io: ref.artifact.io, model: .file(ref.artifact.path),
                                                                      timeouts: WorkerTimeouts(ignoreEnvironment: true), pool: nil)
        let ownFile = try #require(own?.sharedInputPath)
        #expect(try #require(own).runTimed(Array(sets.prefix(1)))[0].outputs == expected[0].outputs)
        own = nil
        #expect(!FileManager.default.fileExists(atPath: ownFile))
        withExtendedLifetime(viaMessages) {}
    }

    @Test func deadWorkerIsReplacedAndShutdownStopsAll() throws {
        try #require(WorkerEnvironment.unavailableReason == nil, "run scripts/setup-frameworks")
        let ref = try DigitsReference.get()
        let pool = WorkerPool.Location(folder: temporaryDirectory() + "/pool", owner: getpid())
        var s: WorkerInferenceSession? = try session(pool)
        let pid = try #require(s?.worker.process.pid)
        s = nil
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        var fresh: WorkerInferenceSession? = try session(pool)
        let second = try #require(fresh?.worker.process.pid)
        #expect(second != pid)
        #expect(try #require(fresh).runTimed([[ref.input]])[0].outputs[0].shape == [ref.dataset.testIndices.count, 10])
        fresh = nil
        #expect(running(second))
        WorkerPool.shutdown(folder: pool.folder)
        for _ in 0..<100 where running(second) { usleep(20_000) }
        #expect(!running(second))
        #expect(!FileManager.default.fileExists(atPath: pool.folder))
    }
}
