import Foundation
import Testing

/// The framework blocks through the built binary: a small fine-tune over workers and the native runtime, the
/// worker-side timing and framework versions in the measurements, and a crashing worker failing only its pipeline.
@Suite(.serialized) struct FrameworkCLI {
    static let ready = FileManager.default.isExecutableFile(atPath: CLI.root + "/.venv-frameworks/bin/python")

    @Test func fineTuneAcrossFrameworks() throws {
        try #require(Self.ready, "run scripts/setup-frameworks")
        let dir = CLI.tempDir()
        let cfg = "\(dir)/grid.json"
        try fineTuneConfig(
            optimizers: #"[{"type": "TFLiteCompiler", "parameters": {"compiled_model_path": "\#(dir)/m.tflite"}}]"#,
            runtime: #"""
            [{"type": "TFLiteRuntime", "parameters": {"save_model_path": ["\#(dir)/r.tflite"], "num_threads": [1]}},
             {"type": "ONNXRuntime", "parameters": {"save_model_path": ["\#(dir)/r.onnx"], "intra_op_num_threads": [1]}}]
            """#,
            parameters: #"{"strategy": "grid_search", "optimizable": ["runtime"], "metric": "inferencetime_mean", "policy": "min"}"#,
            extra: #""measurement": {"warmup_runs": 2, "min_runs": 50, "min_time": 0.0},"#
        ).write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out_all_results.json"))) as! [[String: Any]]
        #expect(all.count == 2)
        // TFLiteCompiler → TFLiteRuntime runs; TFLiteCompiler → ONNXRuntime is excluded by the format check.
        #expect(Set(all.compactMap { $0["status"] as? String }) == ["ok", "incompatible"])
        let excluded = all.first { $0["status"] as? String == "incompatible" }
        #expect((excluded?["reason"] as? String)?.contains("ONNXRuntime cannot run tflite") == true)
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out_0.json"))) as! [String: Any]
        let versions = m["versions"] as! [String: String]
        #expect(versions["tflite"] == "2.3.0")
        let steps = m["target_inference_step"] as! [Double]
        #expect(steps.count >= 50 && steps.allSatisfy { $0 > 0 })
        let metrics = (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out.json"))) as! [String: Any])["metrics"]
            as! [String: Double]
        #expect(metrics["accuracy"]! >= 0.97)
    }

    /// A `.tflite` model as the input: one grid runs it on LiteRT and on the native runtime (through the TFLite importer).
    @Test func tfliteModelInOneGridOnLiteRTAndNative() throws {
        try #require(Self.ready, "run scripts/setup-frameworks")
        let dir = CLI.tempDir()
        // The trained digits CNN as a .tflite file, written by TFLiteCompiler.
        let make = "\(dir)/make.json"
        try #"""
        {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_std": 16.0}},
         "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
         "optimizers": [{"type": "TFLiteCompiler", "parameters": {"compiled_model_path": "\#(dir)/digits.tflite"}}]}
        """#.write(toFile: make, atomically: true, encoding: .utf8)
        let made = try CLI.run(["optimize", "--json-cfg", make])
        try #require(made.status == 0, "\(made.stderr)")
        let cfg = "\(dir)/grid.json"
        try fineTuneConfig(
            optimizers: "[]",
            runtime: #"""
            [{"type": "TFLiteRuntime", "parameters": {"save_model_path": ["\#(dir)/r.tflite"], "num_threads": [1]}},
             {"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/n.tflite"], "backend": ["onednn", "xnnpack"], "num_threads": [1]}},
             {"type": "ONNXRuntime", "parameters": {"save_model_path": ["\#(dir)/o.onnx"]}}]
            """#,
            parameters: #"{"strategy": "grid_search", "optimizable": ["runtime"], "metric": "inferencetime_mean", "policy": "min"}"#,
            wrapper: #"{"type": "ONNXImageClassifier", "parameters": {"model_path": "\#(dir)/digits.tflite", "input_std": 16.0}}"#,
            extra: #""measurement": {"warmup_runs": 2, "min_runs": 20, "min_time": 0.0},"#
        ).write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out_all_results.json"))) as! [[String: Any]]
        #expect(all.map { $0["status"] as? String }.sorted { ($0 ?? "") > ($1 ?? "") } == ["ok", "ok", "ok", "incompatible"], "\(all)")
        let excluded = all.first { $0["status"] as? String == "incompatible" }
        #expect((excluded?["reason"] as? String)?.contains("ONNXRuntime cannot run tflite") == true, "\(excluded ?? [:])")
        // LiteRT and the native runtime run the same file and classify the digits alike.
        let accuracies = all.filter { $0["status"] as? String == "ok" }.compactMap { ($0["metrics"] as? [String: Any])?["accuracy"] as? Double }
        #expect(accuracies.count == 3 && accuracies.allSatisfy { $0 >= 0.97 } && Set(accuracies).count == 1, "\(accuracies)")
        // The wrapper's file was run where it is; nothing was written at the runtimes' save_model_path.
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/r.tflite") && !FileManager.default.fileExists(atPath: "\(dir)/n.tflite"))

        // TVMCompiler and OpenVINOCompiler take the same .tflite file directly (TVM's TFLite frontend, OpenVINO's reader).
        let compiled = "\(dir)/compiled.json"
        try fineTuneConfig(
            optimizers: #"""
            [{"type": "TVMCompiler", "parameters": {"compiled_model_path": ["\#(dir)/m.so"], "target": ["llvm"], "opt_level": [3]}},
             {"type": "OpenVINOCompiler", "parameters": {"compiled_model_path": ["\#(dir)/m.ovbundle"]}}]
            """#,
            runtime: #"""
            [{"type": "TVMRuntime", "parameters": {"save_model_path": ["\#(dir)/r.so"], "num_threads": [1]}},
             {"type": "OpenVINORuntime", "parameters": {"save_model_path": ["\#(dir)/r.ovbundle"], "num_threads": [1]}}]
            """#,
            parameters: #"{"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min"}"#,
            wrapper: #"{"type": "ONNXImageClassifier", "parameters": {"model_path": "\#(dir)/digits.tflite", "input_std": 16.0}}"#,
            extra: #""measurement": {"warmup_runs": 2, "min_runs": 20, "min_time": 0.0},"#
        ).write(toFile: compiled, atomically: true, encoding: .utf8)
        let c = try CLI.run(["fine-tune-optimizers", "--json-cfg", compiled, "--output", "\(dir)/compiled_out.json"])
        #expect(c.status == 0, "\(c.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/compiled_out_all_results.json"))) as! [[String: Any]]
        let ran = rows.filter { $0["status"] as? String == "ok" }
        #expect(ran.count == 2, "TVMCompiler → TVMRuntime and OpenVINOCompiler → OpenVINORuntime: \(rows)")
        let compiledAccuracies = ran.compactMap { ($0["metrics"] as? [String: Any])?["accuracy"] as? Double }
        #expect(compiledAccuracies.count == 2 && Set(compiledAccuracies) == Set(accuracies), "\(compiledAccuracies) vs \(accuracies)")
    }

    /// MobileNetV3's hard swish and squeeze-excitation are outside our ONNX→TFLite converter: TFLiteCompiler hands the
    /// model to onnx2tf, and LiteRT's outputs match the unoptimized model's. Without onnx2tf's venv the pipeline fails
    /// with a compile error naming the op and the setup command.
    @Test func onnx2tfConvertsWhatOurConverterCannot() throws {
        try #require(Self.ready, "run scripts/setup-frameworks")
        let venv = CLI.root + "/.venv-onnx2tf/bin/python"
        try #require(FileManager.default.isExecutableFile(atPath: venv), "run scripts/setup-frameworks --with-onnx2tf")
        let model = CLI.root + "/build/model-families/mobilenetv3_small.onnx"
        try #require(FileManager.default.fileExists(atPath: model), "run scripts/make-model-families.py")
        let dir = CLI.tempDir()
        // Photographs in the Oxford-IIIT Pet layout (two per breed), resized to the model's 224 × 224.
        let fixture = Process()
        fixture.executableURL = URL(fileURLWithPath: CLI.root + "/.venv-frameworks/bin/python")
        fixture.arguments = [CLI.root + "/scripts/pet_fixture.py", "images", "\(dir)/pets", "2"]
        fixture.standardOutput = FileHandle.nullDevice
        try fixture.run()
        fixture.waitUntilExit()
        try #require(fixture.terminationStatus == 0)
        let cfg = "\(dir)/grid.json"
        try fineTuneConfig(
            optimizers: #"[{"type": "TFLiteCompiler", "parameters": {"compiled_model_path": ["\#(dir)/m.tflite"]}}]"#,
            runtime: #"[{"type": "TFLiteRuntime", "parameters": {"save_model_path": ["\#(dir)/r.tflite"], "num_threads": [1]}}]"#,
            parameters: #"{"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min", "output_tolerance": 0.001}"#,
            wrapper: #"{"type": "ONNXImageClassifier", "parameters": {"model_path": "\#(model)", "input_mean": 120.0, "input_std": 60.0}}"#,
            dataset: #"{"type": "PetDataset", "parameters": {"dataset_root": "\#(dir)/pets", "split_fraction_test": 0.5, "image_size": 224}}"#,
            extra: #""measurement": {"warmup_runs": 1, "min_runs": 5, "min_time": 0.0},"#
        ).write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out_all_results.json"))) as! [[String: Any]]
        #expect(all.count == 1 && all.first?["status"] as? String == "ok", "\(all)")
        // Within output_tolerance 0.001 of the ONNX model's outputs on the photographs: the conversion is faithful.

        let missing = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/missing.json", "--cache-dir", "\(dir)/empty-cache"],
                                  environment: ["KENNING_ONNX2TF_VENV": "\(dir)/no-such-venv"])
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/missing_all_results.json"))) as! [[String: Any]]
        let reason = rows.first?["reason"] as? String ?? ""
        #expect(rows.first?["status"] as? String == "compile_error", "\(rows) \(missing.stderr)")
        #expect(reason.contains("has no TFLite translation") && reason.contains("scripts/setup-frameworks --with-onnx2tf"), "\(reason)")
    }

    /// Execution providers this ONNX Runtime lacks are skipped with a warning, as Kenning does; the measurements
    /// record the providers really used.
    @Test func missingExecutionProvidersFallBackToTheCPU() throws {
        try #require(Self.ready, "run scripts/setup-frameworks")
        let dir = CLI.tempDir()
        try #"""
        {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_std": 16.0}},
         "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
         "runtime": {"type": "ONNXRuntime", "parameters": {"save_model_path": "models/digits-cnn.onnx",
                                                          "execution_providers": ["CUDAExecutionProvider", "CPUExecutionProvider"]}},
         "measurement": {"preset": "kenning"}}
        """#.write(toFile: "\(dir)/s.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["test", "--json-cfg", "\(dir)/s.json", "--measurements", "\(dir)/m.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("CUDAExecutionProvider") && r.stderr.contains("warning"), "\(r.stderr)")
        let m = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/m.json"))) as? [String: Any])
        let session = try #require(m["runtime_session"] as? [String: Any])
        #expect(session["execution_providers"] as? [String] == ["CPUExecutionProvider"])
        #expect((session["warnings"] as? [String])?.first?.contains("CUDAExecutionProvider") == true)
    }

    @Test func crashingWorkerFailsOnlyItsPipeline() throws {
        try #require(Self.ready, "run scripts/setup-frameworks")
        let dir = CLI.tempDir()
        let cfg = "\(dir)/grid.json"
        try fineTuneConfig(
            optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": "\#(dir)/m.onnx"}}]"#,
            runtime: #"""
            [{"type": "ONNXRuntime", "parameters": {"save_model_path": ["\#(dir)/r.onnx"]}},
             {"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/n.onnx"]}}]
            """#,
            parameters: #"{"strategy": "grid_search", "optimizable": ["runtime"], "metric": "inferencetime_mean", "policy": "min"}"#,
            extra: #""measurement": {"warmup_runs": 1, "min_runs": 5, "min_time": 0.0},"#
        ).write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out.json"],
                            environment: ["KENNING_WORKER_FAULT": "crash", "PYTHONPATH": CLI.root + "/Tests/KenningTests/Support/worker-faults"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out_all_results.json"))) as! [[String: Any]]
        #expect(all.map { $0["status"] as? String } == ["failed", "ok"])
        let reason = all[0]["reason"] as? String ?? ""
        #expect(reason.contains("onnxruntime worker") && reason.contains("signal 9"), "\(reason)")
    }
}
