import Foundation
import Testing

/// A user's own images through the command line: the repository's digits as PNG files give exactly the accuracy the
/// digits data file gives, and the image-folder example fine-tunes with an accuracy constraint and model size as a
/// second objective.
@Suite struct ImageFolderCLI {
    static var ready: Bool { FileManager.default.fileExists(atPath: CLI.root + "/build/image-fixtures/image-folder/digits") }

    func confusion(_ path: String) throws -> [[Int]] {
        let m = try #require(try CLI.json(path) as? [String: Any])
        return try #require(m["eval_confusion_matrix"] as? [[Int]])
    }

    @Test func digitsAsPNGFilesMatchTheDigitsData() throws {
        try #require(Self.ready, "run scripts/make-image-fixtures")
        let dir = CLI.tempDir()
        let wrapper = #"{"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_std": %@}}"#
        let runtime = #"{"type": "NativeRuntime", "parameters": {"save_model_path": "models/digits-cnn.onnx"}}"#
        let folder = #"{"model_wrapper": \#(wrapper.replacingOccurrences(of: "%@", with: "240.0")), "runtime": \#(runtime), "optimizers": [],"#
            + #" "dataset": {"type": "ImageFolderDataset", "parameters": {"dataset_root": "build/image-fixtures/image-folder/digits", "color": "L", "split_fraction_test": 1.0}}}"#
        let data = #"{"model_wrapper": \#(wrapper.replacingOccurrences(of: "%@", with: "16.0")), "runtime": \#(runtime),"#
            + #" "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}}}"#
        try folder.write(toFile: "\(dir)/folder.json", atomically: true, encoding: .utf8)
        try data.write(toFile: "\(dir)/data.json", atomically: true, encoding: .utf8)
        for name in ["folder", "data"] {
            let r = try CLI.run(["test", "--json-cfg", "\(dir)/\(name).json", "--measurements", "\(dir)/\(name)-m.json"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try confusion("\(dir)/folder-m.json"), b = try confusion("\(dir)/data-m.json")
        #expect(a.joined().reduce(0, +) == 359)
        #expect(a == b, "the PNG files and the data file should classify alike")
        let m = try #require(try CLI.json("\(dir)/folder-m.json") as? [String: Any])
        #expect(m["class_names"] as? [String] == (0..<10).map(String.init))
        #expect((m["compiled_model_size"] as? Int ?? 0) > 0 && m["model_load_seconds"] is Double && (m["model_process_peak_rss_bytes"] as? Int ?? 0) > 0)
    }

    @Test func imageFolderExampleFineTunes() throws {
        try #require(Self.ready, "run scripts/make-image-fixtures")
        let dir = CLI.tempDir()
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "examples/image-folder-fine-tune.json", "--output", "\(dir)/r.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try #require(try CLI.json("\(dir)/r_all_results.json") as? [[String: Any]])
        #expect(all.count == 9 && all.allSatisfy { $0["status"] as? String == "ok" }, "\(all.map { $0["status"] ?? "" })")
        let metrics = all.compactMap { $0["metrics"] as? [String: Double] }
        #expect(metrics.allSatisfy { ($0["accuracy"] ?? 0) >= 0.97 && ($0["compiled_model_size"] ?? 0) > 0 })
        // The int8 models are smaller: model size is a real second objective.
        let sizes = Set(metrics.compactMap { $0["compiled_model_size"] })
        #expect(sizes.count >= 2)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/r_pareto.json"))
    }

    /// The digits as a compressed .npz through AnyModel classify exactly as the digits data does; a real model from a
    /// PyPI wheel (Magika) on real files' bytes, without labels, is searched on its fidelity to the unoptimized model.
    @Test func arraysThroughAnyModel() throws {
        try #require(FileManager.default.fileExists(atPath: CLI.root + "/build/array-fixtures/faces.npy"), "run scripts/make-array-fixtures")
        let dir = CLI.tempDir()
        let runtime = #"{"type": "NativeRuntime", "parameters": {"save_model_path": "models/digits-cnn.onnx"}}"#
        try #"{"model_wrapper": {"type": "AnyModel", "parameters": {"model_path": "models/digits-cnn.onnx"}}, "runtime": \#(runtime),"#
            .appending(#" "dataset": {"type": "ArrayDataset", "parameters": {"dataset_root": "build/array-fixtures/digits.npz"}}}"#)
            .write(toFile: "\(dir)/npz.json", atomically: true, encoding: .utf8)
        try #"{"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_std": 16.0}}, "runtime": \#(runtime),"#
            .appending(#" "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}}}"#)
            .write(toFile: "\(dir)/bin.json", atomically: true, encoding: .utf8)
        for name in ["npz", "bin"] {
            let r = try CLI.run(["test", "--json-cfg", "\(dir)/\(name).json", "--measurements", "\(dir)/\(name)-m.json"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try confusion("\(dir)/npz-m.json") == confusion("\(dir)/bin-m.json"))

        let magika = CLI.root + "/build/model-families/magika.onnx"
        try #require(FileManager.default.fileExists(atPath: magika), "run scripts/make-model-families.py")
        try #"""
        {"optimization_parameters": {"strategy": "grid_search", "optimizable": ["runtime"], "objectives": [{"metric": "inferencetime_mean", "policy": "min"}],
                                     "constraints": ["output_argmax_agreement >= 1"]},
         "measurement": {"preset": "kenning"},
         "model_wrapper": {"type": "AnyModel", "parameters": {"model_path": "\#(magika)"}},
         "dataset": {"type": "ArrayDataset", "parameters": {"dataset_root": "build/array-fixtures/file-bytes.npz", "split_fraction_test": 0.2}},
         "optimizers": [],
         "runtime": [{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/n.onnx"], "backend": ["onednn", "xnnpack"]}},
                     {"type": "ONNXRuntime", "parameters": {"save_model_path": ["\#(dir)/o.onnx"]}}]}
        """#.write(toFile: "\(dir)/magika.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/magika.json", "--output", "\(dir)/mg/r.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try #require(try CLI.json("\(dir)/mg/r_all_results.json") as? [[String: Any]])
        let metrics = all.compactMap { $0["metrics"] as? [String: Double] }
        #expect(all.count == 3 && all.allSatisfy { $0["status"] as? String == "ok" }, "\(all.map { $0["reason"] ?? $0["status"] ?? "" })")
        #expect(metrics.allSatisfy { $0["accuracy"] == nil && $0["output_argmax_agreement"] == 1 && ($0["output_cosine_min"] ?? 0) > 0.9999 })
    }

    /// A real YOLOv8 detector (from the nudenet wheel) on photographs in Kenning's COCO layout: the mAP each run
    /// records equals pycocotools' on the same boxes (its `coco_detections`), and the example searches on it.
    @Test func cocoDetectionMatchesPycocotools() throws {
        let model = CLI.root + "/build/model-families/yolov8_nudenet.onnx"
        try #require(FileManager.default.fileExists(atPath: model) && FileManager.default.fileExists(atPath: CLI.root + "/build/image-fixtures/coco"),
                     "run scripts/make-model-families.py and scripts/make-image-fixtures")
        let dir = CLI.tempDir()
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "examples/coco-detection-fine-tune.json", "--output", "\(dir)/r.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try #require(try CLI.json("\(dir)/r_all_results.json") as? [[String: Any]])
        #expect(all.count == 3 && all.allSatisfy { $0["status"] as? String == "ok" }, "\(all.map { $0["reason"] ?? $0["status"] ?? "" })")
        for row in all {
            let id = try #require(row["id"] as? Int)
            let m = try #require(try CLI.json("\(dir)/r_\(id).json") as? [String: Any])
            let record = try #require(m["detection"] as? [String: Any])
            let detection = record.compactMapValues { $0 as? Double }
            #expect(m["eval_confusion_matrix"] == nil)
            let stats = try pycocotools(m, annotations: "instances_val2017.json", in: dir, name: "\(id)")
            #expect(abs((detection["map"] ?? -9) - stats[0]) <= 1e-6 && abs((detection["map50"] ?? -9) - stats[1]) <= 1e-6
                    && abs((detection["map75"] ?? -9) - stats[2]) <= 1e-6, "run \(id): ours \(detection), pycocotools \(stats)")
            #expect((row["metrics"] as? [String: Double])?["map50"] ?? 0 >= 0.9)
            // mAP against the score threshold (the report's curve): at 0.5, pycocotools' AP50 of the boxes scored ≥ 0.5.
            let curve = try #require(record["map_per_threshold"] as? [[Double]])
            #expect(curve.count == 16 && curve.first?[0] == 0.2 && curve.last?[0] == 0.95)
            let kept = (m["coco_detections"] as? [[String: Any]] ?? []).filter { ($0["score"] as? Double ?? 0) >= 0.5 }
            let atHalf = try pycocotools(["coco_detections": kept], annotations: "instances_val2017.json", in: dir, name: "\(id)-0.5")
            #expect(abs((curve.first { $0[0] == 0.5 }?[1] ?? -9) - atHalf[1]) <= 1e-6, "run \(id): ours \(curve), pycocotools at 0.5 \(atHalf)")
        }
        // The search's report has the detection sections: mAP on the quality axis, mAP against the threshold per run.
        let report = try String(contentsOfFile: "\(dir)/r_report.md", encoding: .utf8)
        #expect(report.contains("mAP against mean latency") && report.contains("mAP@.5 of the detections above each score threshold"), "\(report.prefix(3000))")
    }

    /// pycocotools' AP, AP50 and AP75 for a measurements file's `coco_detections` against the fixture's `annotations`.
    func pycocotools(_ m: [String: Any], annotations: String, in dir: String, name: String) throws -> [Double] {
        try JSONSerialization.data(withJSONObject: m["coco_detections"] ?? []).write(to: URL(fileURLWithPath: "\(dir)/dt-\(name).json"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.root + "/.venv/bin/python")
        p.arguments = ["-c", """
            import contextlib, io, json
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval
            with contextlib.redirect_stdout(io.StringIO()):
                gt = COCO("\(CLI.root)/build/image-fixtures/coco/annotations/\(annotations)")
                e = COCOeval(gt, gt.loadRes("\(dir)/dt-\(name).json"), "bbox")
                e.evaluate(); e.accumulate(); e.summarize()
            json.dump(list(e.stats[:3]), open("\(dir)/stats-\(name).json", "w"))
            """]
        try p.run()
        p.waitUntilExit()
        return try #require(try CLI.json("\(dir)/stats-\(name).json") as? [Double])
    }

    /// An SSD-style detector with anchors (MediaPipe's BlazeFace, from the mediapipe wheel) on the same photographs
    /// with one "face" category: the recorded mAP equals pycocotools', on the native runtime and on LiteRT.
    @Test func ssdFaceDetectorMatchesPycocotools() throws {
        let model = CLI.root + "/build/tflite-models/blazeface.tflite"
        try #require(FileManager.default.fileExists(atPath: model) && FileManager.default.fileExists(atPath: CLI.root + "/build/image-fixtures/coco/faces2017"),
                     "run scripts/make-tflite-models.py and scripts/make-image-fixtures")
        let dir = CLI.tempDir()
        for (name, runtime) in [("native", #"{"type": "NativeRuntime", "parameters": {"save_model_path": "\#(model)"}}"#),
                                ("litert", #"{"type": "TFLiteRuntime", "parameters": {"save_model_path": "\#(model)"}}"#)] {
            try #"""
            {"model_wrapper": {"type": "SSDDetector", "parameters": {"model_path": "\#(model)"}},
             "dataset": {"type": "COCODataset2017", "parameters": {"dataset_root": "build/image-fixtures/coco", "dataset_type": "faces2017",
                         "image_width": 128, "image_height": 128, "resize": "letterbox", "split_fraction_test": 1.0}},
             "runtime": \#(runtime),
             "measurement": {"preset": "kenning"}}
            """#.write(toFile: "\(dir)/\(name).json", atomically: true, encoding: .utf8)
            let r = try CLI.run(["test", "--json-cfg", "\(dir)/\(name).json", "--measurements", "\(dir)/\(name)-m.json"])
            if name == "litert", r.status != 0, r.stderr.contains("setup-frameworks") { continue }
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let m = try #require(try CLI.json("\(dir)/\(name)-m.json") as? [String: Any])
            let detection = try #require(m["detection"] as? [String: Any]).compactMapValues { $0 as? Double }
            let stats = try pycocotools(m, annotations: "instances_faces2017.json", in: dir, name: name)
            #expect(abs((detection["map"] ?? -9) - stats[0]) <= 1e-6 && abs((detection["map50"] ?? -9) - stats[1]) <= 1e-6
                    && abs((detection["map75"] ?? -9) - stats[2]) <= 1e-6, "\(name): ours \(detection), pycocotools \(stats)")
            #expect(detection["map50"] ?? 0 >= 0.9, "\(name): both faces found: \(detection)")
        }
    }
}
