import Foundation
import KenningCore
import Testing

/// The embedded default grid and int8 refusals, run by the built binary. `scripts/test` runs this suite on the machine's
/// own ISA and again capped at AVX2 (`KENNING_MAX_CPU_ISA=avx2`); the child runs inherit the cap.
@Suite struct Int8Grid {
    @Test("the README's default grid: every pipeline runs, no output_mismatch, int8 keeps accuracy ≥ 0.97")
    func defaultGrid() throws {
        let dir = CLI.tempDir()
        var text = try String(contentsOfFile: CLI.root + "/examples/digits-fine-tune.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"build/digits/", with: "\"\(dir)/")
            .replacingOccurrences(of: "\"models/", with: "\"\(CLI.root)/models/")
            .replacingOccurrences(of: "\"data/", with: "\"\(CLI.root)/data/")
        try text.write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/out/best.json"])
        #expect(r.status == 0, "\(r.stderr)")
        // The results table as users see it, numbers, spacing and the best-run marker masked (they vary run to run).
        let table = r.stdout.split(separator: "\n").map { line in
            line.replacingOccurrences(of: #"\d+(\.\d+)?"#, with: "N", options: .regularExpression)
                .replacingOccurrences(of: #"^\*"#, with: " ", options: .regularExpression)
                .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }.joined(separator: "\n")
        try GoldenFile.check(table + "\n", "default-grid-table.txt")
        let all = try #require(try CLI.json("\(dir)/out/best_all_results.json") as? [[String: Any]])
        #expect(all.count == 18)
        let cpu = try CPUFeatures.current()
        for (id, run) in all.enumerated() {
            #expect(run["status"] as? String == "ok", "run \(id): \(run["status"] ?? "?") \(run["reason"] ?? "")")
            let metrics = run["metrics"] as? [String: Double] ?? [:]
            #expect((metrics["accuracy"] ?? 0) >= 0.97, "run \(id): accuracy \(metrics["accuracy"] ?? 0)")
            print("default grid [\(cpu.available.sorted().map(\.rawValue).joined(separator: " "))] run \(id): "
                  + "output_max_abs_diff \(metrics["output_max_abs_diff"] ?? -1)")
        }
        // The int8 runs record the quantizer's weight-range choice and the CPU it was based on.
        let int8 = try #require(try CLI.json("\(dir)/out/best_10.json") as? [String: Any])
        let quantization = try #require(int8["quantization"] as? [String: Any])
        #expect(quantization["reduce_range"] as? Bool == cpu.int8WeightsSaturate)
        #expect(quantization["reduce_range_setting"] as? String == "auto")
        let environment = try #require(int8["environment"] as? [String: Any])
        let isa = try #require(environment["cpu_isa"] as? [String: Any])
        #expect(isa["isa_flags"] as? [String] == cpu.available.sorted().map(\.rawValue))
        #expect(isa["vnni"] as? Bool == cpu.hasInt8DotProduct)
    }

    @Test("full-range int8 weights on oneDNN without VNNI: an incompatible pipeline with the rule, never wrong numbers")
    func fullRangeWeightsOnOneDNN() throws {
        let dir = CLI.tempDir()
        let cfg = "\(dir)/grid.json"
        try fineTuneConfig(
            optimizers: #"[{"type": "NativeQuantizer", "parameters": {"compiled_model_path": ["\#(dir)/q.onnx"], "reduce_range": [false]}}]"#,
            runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/q.onnx"], "backend": ["onednn", "xnnpack", "auto"]}}]"#,
            extra: #""measurement": {"warmup_runs": 1, "min_runs": 5, "min_time": 0.01},"#
        ).write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out/best.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try #require(try CLI.json("\(dir)/out/best_all_results.json") as? [[String: Any]])
        #expect(all.count == 3)
        let saturates = try CPUFeatures.current().int8WeightsSaturate
        for run in all {
            let backend = ((run["pipeline"] as? [String: Any])?["runtime"] as? [String: Any])
                .flatMap { ($0["parameters"] as? [String: Any])?["backend"] as? String }
            if backend == "onednn" && saturates {
                #expect(run["status"] as? String == "incompatible")
                let reason = run["reason"] as? String ?? ""
                #expect(reason.contains("VNNI") && reason.contains("reduce_range"), "\(reason)")
            } else {
                #expect(run["status"] as? String == "ok", "\(backend ?? "?"): \(run["reason"] ?? "")")
            }
        }
        // One pipeline on its own: bad input (exit 2) naming the fix, before any measurement.
        guard saturates else { return }
        let scenario = "\(dir)/one.json"
        try #"""
        {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_std": 16.0}},
         "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
         "optimizers": [{"type": "NativeQuantizer", "parameters": {"compiled_model_path": "\#(dir)/one.onnx", "reduce_range": false}}],
         "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "\#(dir)/one.onnx", "backend": "onednn"}}}
        """#.write(toFile: scenario, atomically: true, encoding: .utf8)
        let one = try CLI.run(["optimize", "test", "--json-cfg", scenario, "--measurements", "\(dir)/m.json"])
        #expect(one.status == 2)
        #expect(one.stderr.contains("incompatible pipeline") && one.stderr.contains("$.runtime") && one.stderr.contains("reduce_range"), "\(one.stderr)")
        #expect(!one.stderr.contains("Fatal error"))
    }
}
