import Foundation
import Testing

@Suite struct EndToEnd {
    /// A small fine-tune over the real digits model: every output file, every seed metric key, the best is a real run.
    @Test func fineTuneWritesAllThreeKindsOfFile() throws {
        let dir = CLI.tempDir()
        let cfg = "\(dir)/grid.json"
        try fineTuneConfig(
            optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/m.onnx"], "fuse_activations": [true, false]}}]"#,
            runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/m.onnx"], "num_threads": [1]}}]"#,
            extra: #""measurement": {"warmup_runs": 2, "min_runs": 20, "min_time": 0.05},"#
        ).write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out/best.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("[1/2]") && r.stderr.contains("[2/2]"))
        #expect(r.stdout.contains("(* = best by inferencetime_mean)"))
        let best = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/best.json"))) as! [String: Any]
        let metrics = best["metrics"] as! [String: Double]
        for key in ["inferencetime_mean", "inferencetime_std", "inferencetime_median", "inferencetime_p90", "inferencetime_p99",
                    "session_utilization_mem_percent_mean", "session_utilization_mem_percent_std", "session_utilization_mem_percent_median",
                    "session_utilization_cpus_percent_avg_mean", "session_utilization_cpus_percent_avg_std",
                    "session_utilization_cpus_percent_avg_median", "accuracy", "mean_precision", "mean_sensitivity", "g_mean", "top_5_accuracy"]
        {
            #expect(metrics[key] != nil, "missing \(key)")
        }
        #expect(metrics["accuracy"]! >= 0.97)
        let pipeline = best["pipeline"] as! [String: Any]
        let runtime = pipeline["runtime"] as! [String: Any]
        let save = (runtime["parameters"] as! [String: Any])["save_model_path"] as! String
        #expect(save.hasSuffix("_m.onnx"))
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/best_all_results.json"))) as! [[String: Any]]
        #expect(all.count == 2)
        #expect(all.allSatisfy { $0["status"] as? String == "ok" })
        for id in 0..<2 {
            let m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/best_\(id).json"))) as! [String: Any]
            let steps = m["target_inference_step"] as! [Double]
            #expect(steps.count >= 20)
            #expect((m["warmup_inference_step"] as! [Double]).count == 2)
            #expect(m["total"] as? Int == 359)
            #expect(m["build_cfg"] != nil && m["eval_confusion_matrix"] != nil && m["session_utilization_cpus_percent"] != nil)
        }
    }

    @Test func generateScenariosWritesRunnableFiles() throws {
        let dir = CLI.tempDir()
        let cfg = "\(dir)/grid.json"
        try fineTuneConfig(
            optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/m.onnx"], "fuse_activations": [true, false]}}]"#,
            runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/m.onnx"], "num_threads": [1, 2]}}]"#,
            extra: #""measurement": {"warmup_runs": 1, "min_runs": 5, "min_time": 0.0},"#
        ).write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--generate-scenarios", "\(dir)/scenarios"])
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/scenarios").sorted()
        #expect(files == (0..<4).map { "scenario_\($0).json" }.sorted())
        let t = try CLI.run(["test", "--json-cfg", "\(dir)/scenarios/scenario_0.json", "--measurements", "\(dir)/m.json"])
        // `test` alone does not compile, so the runtime's model must exist first (Kenning's semantics)…
        #expect(t.status == 2)
        // …and `optimize test` creates it.
        let ot = try CLI.run(["optimize", "test", "--json-cfg", "\(dir)/scenarios/scenario_0.json", "--measurements", "\(dir)/m.json"])
        #expect(ot.status == 0, "\(ot.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/m.json"))
    }

    @Test func listAndInfo() throws {
        let l = try CLI.run(["list"])
        #expect(l.status == 0)
        for name in ["DigitsDataset", "RandomizedClassificationDataset", "ONNXImageClassifier", "NativeGraphOptimizer", "NativeRuntime"] {
            #expect(l.stdout.contains(name))
        }
        let i = try CLI.run(["info", "kenning.runtimes.native.NativeRuntime"])
        #expect(i.status == 0)
        #expect(i.stdout.contains("num_threads: integer, default 1"))
        #expect(i.stdout.contains("accepts: onnx"))
    }

    @Test func yamlScenarioRuns() throws {
        let dir = CLI.tempDir()
        let yaml = """
        model_wrapper:
          type: ONNXImageClassifier
          parameters: {model_path: models/digits-cnn.onnx, input_std: 16.0}
        dataset:
          type: kenning.datasets.native.DigitsDataset
          parameters: {dataset_root: data/digits}
        runtime:
          type: NativeRuntime
          parameters: {save_model_path: models/digits-cnn.onnx}
        measurement: {warmup_runs: 1, min_runs: 5, min_time: 0.0}
        """
        try yaml.write(toFile: "\(dir)/s.yml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["test", "--json-cfg", "\(dir)/s.yml", "--measurements", "\(dir)/m.json"])
        #expect(r.status == 0, "\(r.stderr)")
    }
}
