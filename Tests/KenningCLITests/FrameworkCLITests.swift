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
