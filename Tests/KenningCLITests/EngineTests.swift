import Foundation
import Testing

/// A grid whose runs fail in every way the engine classifies: crash, hang, running out of memory and wrong outputs.
@Suite struct Isolation {
    @Test func everyFailureClassIsRecordedAndTheRestCompletes() throws {
        let dir = CLI.tempDir()
        func runtime(_ name: String) -> String {
            #"{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/\#(name).onnx"]}}"#
        }
        let cfg = fineTuneConfig(
            optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/c.onnx"], "fold_batchnorm": [false, true], "fuse_activations": [false]}}]"#,
            runtime: "[\(runtime("okrun")), \(runtime("crashme")), \(runtime("hangme")), \(runtime("oomme"))]",
            parameters: #"{"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min", "output_tolerance": 1e-9, "remeasure_ties": false}"#,
            extra: #""measurement": {"warmup_runs": 1, "min_runs": 5, "min_time": 0.0},"#)
        try cfg.write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        // Real failures, made by a run wrapper of the tests' own (Support/fault-wrapper): a SIGSEGV, a run that never
        // ends, and a model that cannot be loaded within the memory limit.
        let python = CLI.root + "/.venv/bin/python"
        try #require(FileManager.default.isExecutableFile(atPath: python), "the test venv is missing: run scripts/setup-python")
        let make = Process()
        make.executableURL = URL(fileURLWithPath: python)
        make.arguments = [CLI.root + "/Tests/KenningCLITests/Support/make-oom-model.py", "\(dir)/oom.onnx"]
        try make.run()
        make.waitUntilExit()
        try #require(make.terminationStatus == 0, "could not write the out-of-memory model")
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/out/r.json", "--timeout", "8",
                             "--memory-limit", "1024", "--run-wrapper", CLI.root + "/Tests/KenningCLITests/Support/fault-wrapper"],
                            environment: ["KENNING_OOM_MODEL": "\(dir)/oom.onnx"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/r_all_results.json"))) as! [[String: Any]]
        let status = Dictionary(uniqueKeysWithValues: all.map { ($0["id"] as! Int, $0["status"] as! String) })
        // Chains: [no folding] then [BatchNorm folded]; runtimes vary fastest: ok, crash, hang, oom.
        #expect(status == [0: "ok", 1: "crash", 2: "timeout", 3: "oom", 4: "output_mismatch", 5: "crash", 6: "timeout", 7: "oom"])
        let best = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/r.json"))) as! [String: Any]
        #expect(best["id"] as? Int == 0)
    }
}

/// Each isolated run is started as `[--run-wrapper] kenning run-request REQUEST`: the request is a JSON file the child
/// decodes, and it carries the memory limit the child sets on itself.
@Suite struct RunContract {
    @Test func runWrapperAndMemoryLimitStartEveryRun() throws {
        let dir = CLI.tempDir()
        let wrapper = "\(dir)/wrapper.sh"
        try "#!/bin/sh\necho \"$@\" >> \(dir)/calls.txt\nexec \"$@\"\n".write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let cfg = fineTuneConfig(
            optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/c.onnx"]}}]"#,
            runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/r.onnx"]}}]"#,
            extra: #""measurement": {"warmup_runs": 1, "min_runs": 5, "min_time": 0.0},"#)
        try cfg.write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/out/r.json", "--memory-limit", "3000",
                             "--run-wrapper", wrapper])
        #expect(r.status == 0, "\(r.stderr)")
        let calls = try String(contentsOfFile: "\(dir)/calls.txt", encoding: .utf8).split(separator: "\n")
        #expect(calls.count == 2, "\(calls)")  // one compile step, one measurement
        for call in calls {
            #expect(call.contains(" run-request ") && call.hasSuffix(".request.json"), "\(call)")
        }
        let request = try #require(calls.last.map { String($0.split(separator: " ").last!) })
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: request))) as? [String: Any])
        #expect(decoded["action"] as? String == "test" && decoded["measurementsPath"] is String && decoded["resultPath"] is String)
        #expect(decoded["memoryLimitBytes"] as? Int == 3000 << 20)
        // A wrapper that cannot start is a failed run with the reason, and the search goes on to its end.
        let missing = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/out2/r.json",
                                   "--run-wrapper", "\(dir)/no-such-wrapper"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no-such-wrapper"), "\(missing.stderr)")
    }
}

@Suite struct Resume {
    /// Kill the search with SIGKILL at several points, resume each time: the final ids equal an uninterrupted run's,
    /// and the files of runs that had finished are not written again.
    @Test func killAndResume() throws {
        let dir = CLI.tempDir()
        let cfg = fineTuneConfig(
            optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/c.onnx"], "fuse_activations": [true, false]}}]"#,
            runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/r.onnx"], "num_threads": [1, 2, 3]}}]"#,
            parameters: #"{"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min", "remeasure_ties": false}"#,
            extra: #""measurement": {"warmup_runs": 1, "min_runs": 20, "min_time": 0.3},"#)
        try cfg.write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        let out = "\(dir)/out/r.json"
        let journal = "\(dir)/out/r_journal.jsonl"
        var mtimes: [String: Date] = [:]
        for (attempt, killAfter) in [1, 3].enumerated() {
            let p = try CLI.start(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", out] + (attempt > 0 ? ["--resume"] : []))
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                let lines = ((try? String(contentsOfFile: journal, encoding: .utf8)) ?? "").split(separator: "\n").count
                if lines >= killAfter { break }
                usleep(20_000)
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            for line in ((try? String(contentsOfFile: journal, encoding: .utf8)) ?? "").split(separator: "\n") {
                guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let id = obj["id"] as? Int else { continue }
                let file = "\(dir)/out/r_\(id).json"
                if mtimes[file] == nil, let m = try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date { mtimes[file] = m }
            }
        }
        #expect(!mtimes.isEmpty)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", out, "--resume"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("from the journal"))
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/r_all_results.json"))) as! [[String: Any]]
        #expect(Set(all.compactMap { $0["id"] as? Int }) == Set(0..<6))
        #expect(all.allSatisfy { $0["status"] as? String == "ok" })
        for (file, m) in mtimes {
            let now = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
            #expect(now == m, "\(file) was rewritten")
        }
        let records = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        let ids = records.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? Int }
        #expect(Set(ids) == Set(0..<6))
        #expect(ids.count == Set(ids).count, "a finished run was recomputed: \(ids)")
    }
}

@Suite struct Strategies {
    func grid(_ dir: String, _ parameters: String) throws -> String {
        let cfg = fineTuneConfig(
            optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/c.onnx"], "fuse_activations": [true, false], "fold_batchnorm": [true, false]}}]"#,
            runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/r.onnx"], "num_threads": [1, 2]}}]"#,
            parameters: parameters, extra: #""measurement": {"warmup_runs": 1, "min_runs": 9, "min_time": 0.0},"#)
        try cfg.write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        return "\(dir)/grid.json"
    }

    func journalIDs(_ path: String) throws -> [Int] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? Int }
    }

    @Test(arguments: ["random_search", "tpe"])
    func budgetedStrategiesAreReproducible(_ strategy: String) throws {
        var orders: [[Int]] = []
        for _ in 0..<2 {
            let dir = CLI.tempDir()
            let cfg = try grid(dir, #"{"strategy": "\#(strategy)", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min", "max_runs": 5, "seed": 42, "remeasure_ties": false}"#)
            let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out/r.json", "--jobs", "2"])
            #expect(r.status == 0, "\(r.stderr)")
            orders.append(try journalIDs("\(dir)/out/r_journal.jsonl"))
        }
        #expect(orders[0].count == 5)
        if strategy == "random_search" { #expect(orders[0] == orders[1]) } else { #expect(Array(orders[0].prefix(2)) == Array(orders[1].prefix(2))) }
    }

    @Test func successiveHalvingMeasuresTheBestLonger() throws {
        let dir = CLI.tempDir()
        let cfg = try grid(dir, #"{"strategy": "successive_halving", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min", "halving_rate": 2, "remeasure_ties": false}"#)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out/r.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let records = try String(contentsOfFile: "\(dir)/out/r_journal.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let budgets = records.compactMap { ($0["measurement"] as? [String: Any])?["min_runs"] as? Int }
        #expect(records.count > 8)  // 8 in the first rung, then fewer, measured longer
        #expect(budgets.prefix(8).allSatisfy { $0 == budgets[0] })
        #expect(budgets.last! > budgets[0])
    }

    @Test func constraintsAndParetoFront() throws {
        let dir = CLI.tempDir()
        let cfg = try grid(dir, #"{"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "objectives": [{"metric": "inferencetime_mean", "policy": "min"}, {"metric": "session_utilization_cpus_percent_avg_mean", "policy": "min"}], "constraints": ["accuracy >= 0.97"], "selection": "utopia", "remeasure_ties": false}"#)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out/r.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let pareto = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/r_pareto.json"))) as! [String: Any]
        let front = (pareto["front"] as! [[String: Any]]).map { $0["id"] as! Int }
        #expect(!front.isEmpty)
        #expect(front.contains(pareto["pick"] as! Int))
        #expect((pareto["feasible"] as! [Int]).count == 8)

        let dir2 = CLI.tempDir()
        let impossible = try grid(dir2, #"{"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min", "constraints": ["accuracy >= 0.999", "inferencetime_p99 <= 0.0000001"], "max_runs": 3}"#)
        let n = try CLI.run(["fine-tune-optimizers", "--json-cfg", impossible, "--output", "\(dir2)/out/r.json"])
        #expect(n.status == 1)
        #expect(n.stderr.contains("no run meets every constraint"))
        #expect(n.stderr.contains("wants >= 0.999"))
        let p2 = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir2)/out/r_pareto.json"))) as! [String: Any]
        #expect((p2["closest"] as! [Int]).count == 3)
    }
}

/// Kenning's `kenning:///` resources are read from its cache (`KENNING_CACHE_DIR`), nothing is downloaded.
@Suite struct KenningResources {
    @Test("kenning:///models/… resolves to $KENNING_CACHE_DIR/models/…; a resource missing there names that path")
    func resourcesFromTheCache() throws {
        let dir = CLI.tempDir()
        let cache = "\(dir)/kenning-cache"
        try FileManager.default.createDirectory(atPath: "\(cache)/models/classification", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.root + "/models/digits-cnn.onnx", toPath: "\(cache)/models/classification/digits.onnx")
        func scenario(_ uri: String) throws -> String {
            let path = "\(dir)/\(uri.split(separator: "/").last ?? "s").json"
            try #"""
            {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "\#(uri)", "input_std": 16.0}},
             "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
             "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "\#(uri)"}},
             "measurement": {"warmup_runs": 1, "min_runs": 5, "min_time": 0.0}}
            """#.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let ok = try CLI.run(["test", "--json-cfg", try scenario("kenning:///models/classification/digits.onnx"), "--measurements", "\(dir)/m.json"],
                             environment: ["KENNING_CACHE_DIR": cache])
        #expect(ok.status == 0, "\(ok.stderr)")
        let missing = try CLI.run(["test", "--json-cfg", try scenario("kenning:///models/classification/absent.onnx"), "--measurements", "\(dir)/n.json"],
                                  environment: ["KENNING_CACHE_DIR": cache])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("\(cache)/models/classification/absent.onnx"), "\(missing.stderr)")
    }
}

/// The output check's truth: computed once on the 16 samples it compares, kept in the artifact cache; the check can be off.
@Suite struct OutputGate {
    @Test("the unoptimized model's outputs are cached with the artifacts; \"output_tolerance\": false turns the check off")
    func truthIsCachedAndTheCheckCanBeOff() throws {
        let dir = CLI.tempDir()
        func config(_ tolerance: String) throws -> String {
            let path = "\(dir)/grid-\(tolerance).json"
            try fineTuneConfig(
                optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/g.onnx"]}}]"#,
                runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/r.onnx"], "num_threads": [1]}}]"#,
                parameters: #"{"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min", "output_tolerance": \#(tolerance)}"#,
                extra: #""measurement": {"warmup_runs": 1, "min_runs": 10, "min_time": 0.0},"#
            ).write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        func metrics(_ out: String) throws -> [String: Any] {
            let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(out)_all_results.json"))) as! [[String: Any]]
            return try #require(rows.first?["metrics"] as? [String: Any])
        }
        let cache = "\(dir)/cache"
        let first = try CLI.run(["fine-tune-optimizers", "--json-cfg", try config("0.001"), "--output", "\(dir)/a.json", "--cache-dir", cache])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try metrics("a")["output_max_abs_diff"] != nil)
        let truth = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasPrefix("gate-truth-") }
        #expect(truth.count == 1)
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(cache)/\(truth[0])"))) as? [[Double]]
        #expect(rows?.count == 16 && rows?.allSatisfy { $0.count == 10 } == true)
        let off = try CLI.run(["fine-tune-optimizers", "--json-cfg", try config("false"), "--output", "\(dir)/b.json", "--cache-dir", cache])
        #expect(off.status == 0, "\(off.stderr)")
        #expect(try metrics("b")["output_max_abs_diff"] == nil)
    }
}

/// A model with 10 000 classes: the measurements file stays small (a sparse confusion matrix, raw outputs capped, the
/// fidelity to the unoptimized model computed in the run over all 10 000 values of each compared sample).
@Suite struct BoundedMeasurements {
    @Test func tenThousandClassesWriteUnderFiveMegabytes() throws {
        let dir = CLI.tempDir()
        let make = Process()
        make.executableURL = URL(fileURLWithPath: CLI.root + "/.venv/bin/python")
        make.arguments = ["-c", """
            import numpy as np, onnx
            from onnx import helper, TensorProto, numpy_helper
            w = numpy_helper.from_array(np.random.default_rng(0).normal(size=(16, 10000)).astype(np.float32), "w")
            g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "wide",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 16])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 10000])], [w])
            onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "\(dir)/wide.onnx")
            """]
        try make.run()
        make.waitUntilExit()
        try #require(make.terminationStatus == 0)
        try #"""
        {"optimization_parameters": {"strategy": "grid_search", "optimizable": ["optimizers"], "metric": "inferencetime_mean", "policy": "min"},
         "model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "\#(dir)/wide.onnx"}},
         "dataset": {"type": "RandomizedClassificationDataset", "parameters": {"dataset_root": "\#(dir)/data", "num_samples": 400, "num_classes": 10000, "input_dims": [16]}},
         "optimizers": [{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/g.onnx"]}}],
         "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "\#(dir)/r.onnx"}},
         "measurement": {"warmup_runs": 1, "min_runs": 10, "min_time": 0.0}}
        """#.write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/out/r.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/out").filter { $0.hasPrefix("r_") && $0.hasSuffix(".json") }
        let measurements = try #require(files.first { $0.first(where: \.isNumber) != nil && !$0.contains("all") })
        let size = try #require(try FileManager.default.attributesOfItem(atPath: "\(dir)/out/\(measurements)")[.size] as? Int)
        #expect(size < 5_000_000, "\(measurements) is \(size) bytes")
        let m = try #require(try CLI.json("\(dir)/out/\(measurements)") as? [String: Any])
        #expect(m["eval_confusion_matrix"] == nil)
        let sparse = try #require(m["eval_confusion_sparse"] as? [String: Any])
        #expect(sparse["classes"] as? Int == 10000 && ((sparse["entries"] as? [[Int]])?.map { $0[2] }.reduce(0, +) ?? 0) == m["total"] as? Int)
        #expect(m["output_samples_value_cap"] as? Int == 4096)
        #expect((m["output_samples"] as? [[Double]])?.allSatisfy { $0.count == 4096 } == true)
        let fidelity = try #require(m["fidelity"] as? [String: Any])
        #expect(fidelity["samples"] as? Int == 16 && (fidelity["max_abs_diff"] as? Double ?? 1) < 1e-3 && fidelity["argmax_agreement"] as? Double == 1)
        let all = try #require(try CLI.json("\(dir)/out/r_all_results.json") as? [[String: Any]])
        let metrics = try #require(all.first?["metrics"] as? [String: Double])
        #expect(metrics["accuracy"] != nil && metrics["output_cosine_min"] != nil)
    }
}

/// Kenning's way of timing: one pass over the test split, the first inference included.
@Suite struct KenningMeasurementPreset {
    @Test("\"measurement\": {\"preset\": \"kenning\"} times each test sample once, no warm-up; keys beside it still apply")
    func onePass() throws {
        let dir = CLI.tempDir()
        func run(_ measurement: String) throws -> [String: Any] {
            let cfg = "\(dir)/s.json"
            try #"""
            {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_std": 16.0}},
             "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits", "split_fraction_test": 0.2}},
             "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "models/digits-cnn.onnx"}},
             "measurement": \#(measurement)}
            """#.write(toFile: cfg, atomically: true, encoding: .utf8)
            let r = try CLI.run(["test", "--json-cfg", cfg, "--measurements", "\(dir)/m.json"])
            #expect(r.status == 0, "\(r.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/m.json"))) as? [String: Any])
        }
        let kenning = try run(#"{"preset": "kenning"}"#)
        let steps = try #require(kenning["target_inference_step"] as? [Double])
        let confusion = try #require(kenning["eval_confusion_matrix"] as? [[Int]])
        #expect(steps.count == confusion.joined().reduce(0, +), "one timed inference per test sample")
        #expect((kenning["warmup_inference_step"] as? [Double])?.isEmpty == true)
        let withWarmup = try run(#"{"preset": "kenning", "warmup_runs": 3}"#)
        #expect((withWarmup["warmup_inference_step"] as? [Double])?.count == 3)
    }
}

/// Kenning's `--evaluate-unoptimized`: the unoptimized model measured too, nested as `__unoptimized__`, and the
/// optimized run's fidelity to it recorded; without optimization the flag is refused with a fix.
@Suite struct EvaluateUnoptimized {
    @Test func nestsTheUnoptimizedMeasurements() throws {
        let dir = CLI.tempDir()
        try #"""
        {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_std": 16.0}},
         "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
         "optimizers": [{"type": "NativeQuantizer", "parameters": {"compiled_model_path": "\#(dir)/int8.onnx"}}],
         "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "\#(dir)/r.onnx"}},
         "measurement": {"warmup_runs": 1, "min_runs": 5, "min_time": 0.0}}
        """#.write(toFile: "\(dir)/s.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["optimize", "test", "--json-cfg", "\(dir)/s.json", "--measurements", "\(dir)/m.json", "--evaluate-unoptimized"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = try #require(try CLI.json("\(dir)/m.json") as? [String: Any])
        let plain = try #require(m["__unoptimized__"] as? [String: Any])
        #expect(m["model_precision"] as? String == "int8" && plain["model_precision"] as? String == "float32")
        #expect(plain["compiled_model_path"] as? String == "models/digits-cnn.onnx")
        let fidelity = try #require(m["fidelity"] as? [String: Any])
        #expect(fidelity["samples"] as? Int == 16 && (fidelity["max_abs_diff"] as? Double ?? 0) > 0 && (fidelity["cosine_min"] as? Double ?? 0) > 0.99)
        let refused = try CLI.run(["test", "--json-cfg", "\(dir)/s.json", "--measurements", "\(dir)/m2.json", "--evaluate-unoptimized"])
        #expect(refused.status == 2 && refused.stderr.contains("--evaluate-unoptimized") && refused.stderr.contains("`kenning optimize test`"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/m2.json"))
    }
}

/// `"evaluate_unoptimized": true` in a search: the model wrapper's own model is measured once on the first candidate's
/// runtime, written beside the best pick, and every run's table row shows its change from it.
@Suite struct SearchBaseline {
    @Test func unoptimizedModelIsTheBaseline() throws {
        let dir = CLI.tempDir()
        try fineTuneConfig(
            optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(dir)/g.onnx"]}}]"#,
            runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/r.onnx"], "backend": ["reference", "onednn"]}}]"#,
            parameters: #"{"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min", "evaluate_unoptimized": true}"#,
            extra: #""measurement": {"warmup_runs": 1, "min_runs": 10, "min_time": 0.0},"#
        ).write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/out/r.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let best = try #require(try CLI.json("\(dir)/out/r.json") as? [String: Any])
        let baseline = try #require(best["unoptimized"] as? [String: Any])
        #expect(baseline["status"] as? String == "ok" && (baseline["metrics"] as? [String: Double])?["accuracy"] != nil)
        #expect(((baseline["pipeline"] as? [String: Any])?["optimizers"] as? [Any])?.isEmpty == true)
        #expect(r.stdout.contains("Δ mean %") && r.stdout.contains(" u  unoptimized: NativeRuntime"), "\(r.stdout)")
        let all = try #require(try CLI.json("\(dir)/out/r_all_results.json") as? [[String: Any]])
        #expect(all.count == 2)   // the baseline is not one of the search's runs
    }
}
