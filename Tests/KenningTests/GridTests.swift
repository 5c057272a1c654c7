import Foundation
import KenningCore
import KenningBlocks
import KenningEngine
import Testing

@Suite struct GridSemantics {
    @Test func productVariesLastListFastest() {
        #expect(GridSearch.product([[1, 2], [10, 20, 30]]) == [[1, 10], [1, 20], [1, 30], [2, 10], [2, 20], [2, 30]])
        #expect(GridSearch.product([[Int]]()) == [[]])
    }

    @Test func orderedPowerSetBySizeThenPosition() {
        #expect(GridSearch.orderedPowerSet(["A", "B", "C"]) == [["A"], ["B"], ["C"], ["A", "B"], ["A", "C"], ["B", "C"], ["A", "B", "C"]])
        #expect(GridSearch.orderedPowerSet([String]()).isEmpty)
    }

    @Test func alternativeExpansionKeepsParameterOrder() throws {
        let alt: JSONValue = .object([("type", "X"), ("parameters", .object([("a", [1, 2]), ("b", ["p", "q"])]))])
        let blocks = try GridSearch.expand(alternative: alt, path: "$.runtime[0]")
        let pairs = blocks.map { ($0["parameters"]!["a"]!.intValue!, $0["parameters"]!["b"]!.stringValue!) }
        #expect(pairs.map(\.0) == [1, 1, 2, 2])
        #expect(pairs.map(\.1) == ["p", "q", "p", "q"])
    }

    /// Kenning's worked example: TFLite (grid 1) and TVM (grid 2: NHWC, NCHW) give 5 chains, in this order.
    @Test func optimizerChainsMatchKenningWorkedExample() throws {
        let tflite: JSONValue = .object([("type", "T"), ("parameters", .object([("target", ["default"])]))])
        let tvm: JSONValue = .object([("type", "V"), ("parameters", .object([("conv2d_data_layout", ["NHWC", "NCHW"])]))])
        let chains = try GridSearch.candidates(for: "optimizers", value: [tflite, tvm], path: "$.optimizers")
        let names = chains.map { chain in
            chain.arrayValue!.map { b in b["type"]!.stringValue! + (b["parameters"]!["conv2d_data_layout"]?.stringValue.map { "_" + $0 } ?? "") }
                .joined(separator: "+")
        }
        #expect(names == ["T", "V_NHWC", "T+V_NHWC", "V_NCHW", "T+V_NCHW"])
    }

    /// ∏(gᵢ+1) − 1 unique chains: grids 2 and 3 give 3·4 − 1 = 11.
    @Test func chainCountFormula() throws {
        let a: JSONValue = .object([("type", "A"), ("parameters", .object([("x", [1, 2])]))])
        let b: JSONValue = .object([("type", "B"), ("parameters", .object([("y", [1, 2, 3])]))])
        #expect(try GridSearch.candidates(for: "optimizers", value: [a, b], path: "$").count == 11)
        let c: JSONValue = .object([("type", "C"), ("parameters", .object([("z", [true])]))])
        #expect(try GridSearch.candidates(for: "optimizers", value: [a, b, c], path: "$").count == 23)
    }

    @Test func nonOptimizerAlternativesConcatenate() throws {
        let r1: JSONValue = .object([("type", "R1"), ("parameters", .object([("t", [1, 2])]))])
        let r2: JSONValue = .object([("type", "R2"), ("parameters", .object([]))])
        let c = try GridSearch.candidates(for: "runtime", value: [r1, r2], path: "$.runtime")
        #expect(c.map { $0["type"]!.stringValue! } == ["R1", "R1", "R2"])
    }

    @Test func pathPrefixing() {
        let p: JSONValue = .object([
            ("optimizers", [.object([("type", "A"), ("parameters", .object([("compiled_model_path", "build/compiled_model.tar")]))])]),
            ("runtime", .object([("type", "R"), ("parameters", .object([("save_model_path", "build/compiled_model.tflite")]))])),
        ])
        let q = FineTuneRunner.prefixPaths(p, id: 7)
        #expect(q["optimizers"]!.arrayValue![0]["parameters"]!["compiled_model_path"] == "build/7_compiled_model.tar")
        #expect(q["runtime"]!["parameters"]!["save_model_path"] == "build/7_compiled_model.tflite")
        #expect(Files.prefixed("model.onnx", id: 3) == "3_model.onnx")
    }

    @Test func defaultGridHasEighteenPipelinesWithStableIDs() throws {
        let doc = try ConfigFile.load(repo("examples/digits-fine-tune.json"))
        let op = try OptimizationParameters.parse(doc)
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(repoRoot)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        let runner = FineTuneRunner(options: FineTuneOptions(configPath: "examples/digits-fine-tune.json", outputPath: "build/x.json",
                                                             generateScenarios: nil, verbosity: "INFO", timeout: 60, executable: ""), say: { _ in })
        let first = try runner.plan(doc, parameters: op)
        let second = try runner.plan(doc, parameters: op)
        // Chains [graph], [int8], [graph, int8] × 3 backends × 1–2 threads.
        #expect(first.count == 18)
        #expect(first.compactMap(\.id) == Array(0..<18))
        #expect(first.map { $0.pipeline.serialized() } == second.map { $0.pipeline.serialized() })
        // Runtime varies fastest: pipelines 0 and 1 share the optimizer chain and differ in threads.
        #expect(first[0].pipeline["optimizers"] != nil)
        #expect(first[0].pipeline["runtime"]!["parameters"]!["num_threads"] == 1)
        #expect(first[1].pipeline["runtime"]!["parameters"]!["num_threads"] == 2)
        #expect(first[1].pipeline["runtime"]!["parameters"]!["save_model_path"] == "build/digits/1_runtime_model.onnx")
        #expect(first[6].pipeline["optimizers"]!.arrayValue!.map { $0["type"]!.stringValue! } == ["NativeQuantizer"])
        #expect(first[12].pipeline["optimizers"]!.arrayValue!.count == 2)
        #expect(first[13].pipeline["optimizers"]!.arrayValue![1]["parameters"]!["compiled_model_path"] == "build/digits/13_int8.onnx")
        // Backends vary next: 2 and 3 run on OpenBLAS, 4 and 5 on oneDNN.
        #expect(first[2].pipeline["runtime"]!["parameters"]!["backend"] == "openblas")
        #expect(first[4].pipeline["runtime"]!["parameters"]!["backend"] == "onednn")
    }
}

@Suite struct MetricFormulas {
    @Test func classificationMetricsByHand() {
        // rows = truth, columns = prediction
        let m: [[Double]] = [[3, 1], [0, 4]]
        let r = Dictionary(Metrics.classification(confusion: m), uniquingKeysWith: { a, _ in a })
        #expect(abs(r["accuracy"]! - 7.0 / 8.0) < 1e-12)
        #expect(abs(r["mean_precision"]! - (1.0 + 0.8) / 2) < 1e-7)
        #expect(abs(r["mean_sensitivity"]! - (0.75 + 1.0) / 2) < 1e-7)
        #expect(abs(r["g_mean"]! - (0.75 * 1.0).squareRoot()) < 1e-7)
        let zero = Dictionary(Metrics.classification(confusion: [[2, 0], [3, 0]]), uniquingKeysWith: { a, _ in a })
        #expect(zero["g_mean"] == 0)
    }

    @Test func statisticsFollowNumpy() {
        let x = [1.0, 2, 3, 4]
        #expect(Statistics.mean(x) == 2.5)
        #expect(abs(Statistics.std(x) - 1.118033988749895) < 1e-12)
        #expect(Statistics.median(x) == 2.5)
        #expect(abs(Statistics.percentile(x, 90) - 3.7) < 1e-12)
    }

    @Test func fidelityToTheUnoptimizedModel() {
        let f = OutputFidelity(outputs: [[1, 2, 3], [0, 4, 1]], reference: [[1, 2, 4], [0, 3, 2]])
        #expect(f.samples == 2 && !f.lengthsDiffer)
        #expect(f.maxAbsDifference == 1)
        #expect(abs(f.maxRelativeDifference - 1.0 / 3.0) < 1e-12)    // sample 2: 1 / max |reference| 3
        let dot: Double = 4 * 3 + 1 * 2
        let cos2 = dot / (17.0.squareRoot() * 13.0.squareRoot())
        #expect(abs(f.minCosineSimilarity - cos2) < 1e-12)
        #expect(f.argmaxAgreement == 1)
        #expect(OutputFidelity(json: f.json) == f)
        #expect(OutputFidelity(outputs: [[1, 2]], reference: [[1, 2, 3]]).lengthsDiffer)
        #expect(OutputFidelity(outputs: [[3, 1]], reference: [[1, 3]]).argmaxAgreement == 0)
    }

    @Test func sparseConfusionGivesTheDenseMetrics() {
        let dense: [[Double]] = [[5, 1, 0], [0, 3, 2], [1, 0, 4]]
        var cells: [(Int, Int, Double)] = []
        for (t, row) in dense.enumerated() { for (p, n) in row.enumerated() where n > 0 { cells.append((t, p, n)) } }
        let a = Metrics.classification(confusion: dense), b = Metrics.classification(classes: 3, cells: cells)
        #expect(a.map(\.0) == b.map(\.0) && zip(a, b).allSatisfy { abs($0.1 - $1.1) < 1e-12 })
        let m: JSONValue = .object([("eval_confusion_sparse", .object([("classes", 3), ("entries", .array(cells.map { JSONValue([$0.0, $0.1, Int($0.2)]) }))])),
                                    ("top_5_count", 16), ("total", 16)])
        let r = Dictionary(Metrics.compute(from: m), uniquingKeysWith: { a, _ in a })
        #expect(abs(r["accuracy"]! - 12.0 / 16.0) < 1e-12 && r["top_5_accuracy"] == 1)
    }

    @Test func metricAliases() {
        #expect(Metrics.canonicalName("Accuracy") == "accuracy")
        #expect(Metrics.canonicalName("G-mean") == "g_mean")
        #expect(Metrics.canonicalName("inferencetime_p99") == "inferencetime_p99")
        #expect(Metrics.canonicalName("accuracyy") == nil)
    }

    @Test func metricsFromMeasurements() {
        let m: JSONValue = .object([
            ("target_inference_step", JSONValue([0.001, 0.003])),
            ("session_utilization_cpus_percent", .array([JSONValue([10.0, 30.0]), JSONValue([50.0, 50.0])])),
            ("session_utilization_mem_percent", JSONValue([20.0, 22.0])),
            ("eval_confusion_matrix", .array([JSONValue([1, 0]), JSONValue([0, 1])])),
            ("top_5_count", 2), ("total", 2),
            ("compiled_model_size", 26660), ("model_load_seconds", 0.004), ("model_process_peak_rss_bytes", .int(32 << 20)),
            ("fidelity", OutputFidelity(outputs: [[1, 2, 3]], reference: [[1, 2, 3.5]]).json),
            ("detection", .object([("map", 0.45), ("map50", 1.0), ("map75", 0.5)])),
        ])
        let r = Dictionary(Metrics.compute(from: m), uniquingKeysWith: { a, _ in a })
        for key in Metrics.allKeys { #expect(r[key] != nil, "missing \(key)") }
        #expect(r["compiled_model_size"] == 26660 && r["model_load_time"] == 0.004 && r["peak_rss_bytes"] == Double(32 << 20))
        #expect(abs(r["inferencetime_mean"]! - 0.002) < 1e-12)
        #expect(r["session_utilization_cpus_percent_avg_mean"] == 35)
        #expect(r["top_5_accuracy"] == 1)
    }
}

/// COCO's box mAP equals pycocotools' COCOeval on the same ground truth and detections (random sets with crowd boxes,
/// tied scores, empty images, categories without truth, more than 100 detections in an image).
@Suite struct COCOMeanAveragePrecision {
    @Test(arguments: [1, 2, 3])
    func equalsPycocotools(_ seed: Int) throws {
        let dir = temporaryDirectory()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: repo(".venv/bin/python"))
        p.arguments = ["-c", """
            import json, contextlib, io
            import numpy as np
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval
            rng = np.random.default_rng(\(seed))
            images = [{"id": i + 1, "width": 640, "height": 480} for i in range(12)]
            cats = [{"id": c, "name": f"c{c}"} for c in (1, 2, 3, 5)]
            anns, dets = [], []
            for img in images:
                for _ in range(rng.integers(0, 7)):
                    x, y, w, h = rng.uniform(0, 500), rng.uniform(0, 380), rng.uniform(5, 140), rng.uniform(5, 100)
                    c = int(rng.choice([1, 2, 3]))
                    crowd = int(rng.uniform() < 0.1)
                    anns.append({"id": len(anns) + 1, "image_id": img["id"], "category_id": c, "bbox": [x, y, w, h], "area": w * h, "iscrowd": crowd})
                    for _ in range(rng.integers(0, 3)):
                        j = rng.normal(0, 3, 4)
                        dets.append({"image_id": img["id"], "category_id": c if rng.uniform() < 0.85 else int(rng.choice([1, 2, 3, 5])),
                                     "bbox": [x + j[0], y + j[1], max(1, w + j[2]), max(1, h + j[3])], "score": float(np.round(rng.uniform(), 2))})
                for _ in range(rng.integers(0, 4) if img["id"] != 3 else 130):
                    dets.append({"image_id": img["id"], "category_id": int(rng.choice([1, 2, 3])),
                                 "bbox": [rng.uniform(0, 500), rng.uniform(0, 380), rng.uniform(5, 100), rng.uniform(5, 100)], "score": float(np.round(rng.uniform(), 2))})
            json.dump({"images": images, "categories": cats, "annotations": anns}, open("\(dir)/gt.json", "w"))
            json.dump(dets, open("\(dir)/dt.json", "w"))
            with contextlib.redirect_stdout(io.StringIO()):
                gt = COCO("\(dir)/gt.json")
                e = COCOeval(gt, gt.loadRes("\(dir)/dt.json"), "bbox")
                e.evaluate(); e.accumulate(); e.summarize()
            json.dump(list(e.stats[:3]), open("\(dir)/stats.json", "w"))
            """]
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "pycocotools (scripts/setup-python installs it)")
        let gt = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/gt.json"))) as? [String: Any])
        let truth = (gt["annotations"] as? [[String: Any]] ?? []).map { a in
            COCOEvaluation.Truth(id: a["id"] as! Int, image: a["image_id"] as! Int, category: a["category_id"] as! Int,
                                 box: a["bbox"] as! [Double], crowd: a["iscrowd"] as! Int == 1)
        }
        let detections = (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/dt.json"))) as? [[String: Any]] ?? []).map { d in
            COCOEvaluation.Detection(image: d["image_id"] as! Int, category: d["category_id"] as! Int, box: d["bbox"] as! [Double], score: d["score"] as! Double)
        }
        let images = (gt["images"] as? [[String: Any]] ?? []).map { $0["id"] as! Int }
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/stats.json"))) as? [Double])
        let mine = COCOEvaluation.evaluate(truth: truth, detections: detections, images: images)
        #expect(truth.count > 10 && detections.count > 100 && stats[0] > 0.05 && stats[0] < 0.95, "a set that exercises the matching: \(stats)")
        #expect(abs(mine.map - stats[0]) <= 1e-6 && abs(mine.map50 - stats[1]) <= 1e-6 && abs(mine.map75 - stats[2]) <= 1e-6,
                "ours \(mine), pycocotools \(stats)")
    }
}
