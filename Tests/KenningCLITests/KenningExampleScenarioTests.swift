import Foundation
import Testing

/// Kenning's three example optimization scenarios (its `scripts/optimizationconfigs/`), written in Kenning's shape with
/// Kenning's block names, keys, relative paths and `kenning://` model URIs, run from a folder laid out as Kenning expects
/// (`./build/PetDataset`, `./build/MagicWandDataset`, models in `KENNING_CACHE_DIR`), with local stand-ins for the data
/// and models (scripts/make-pet-fixture, scripts/make-magic-wand-fixture). The grids have Kenning's pipeline counts
/// (∏(gᵢ+1)−1 optimizer chains × runtimes: 9, 10, 10); every compatible pipeline runs end to end.
@Suite(.serialized) struct KenningExampleScenarios {
    static let petModel = CLI.root + "/build/pet-fixture/mobilenetv2.h5"
    static let magicWand = CLI.root + "/build/magic-wand"
    static let ready = FileManager.default.isExecutableFile(atPath: CLI.root + "/.venv-frameworks/bin/python")

    static let header = """
        "optimization_parameters": {"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min"},
        """
    static let petBlocks = """
        "model_wrapper": {"type": "kenning.modelwrappers.classification.tensorflow_pet_dataset.TensorFlowPetDatasetMobileNetV2",
                          "parameters": {"model_path": "kenning:///models/classification/tensorflow_pet_dataset_mobilenetv2.h5"}},
        "dataset": {"type": "kenning.datasets.pet_dataset.PetDataset", "parameters": {"dataset_root": "./build/PetDataset", "download_dataset": false}},
        """
    static let tfliteCompiler = """
        {"type": "kenning.optimizers.tflite.TFLiteCompiler", "parameters": {"target": ["default"], "compiled_model_path": ["./build/compiled_model.tflite"]}}
        """
    static let tvmCompiler = """
        {"type": "kenning.optimizers.tvm.TVMCompiler", "parameters": {"target": ["llvm"], "compiled_model_path": ["./build/compiled_model.tar"],
                                                                      "opt_level": [3], "conv2d_data_layout": ["NHWC", "NCHW"]}}
        """
    static let tvmAndTFLiteRuntimes = """
        "runtime": [{"type": "kenning.runtimes.tvm.TVMRuntime", "parameters": {"save_model_path": ["./build/compiled_model.tar"]}},
                    {"type": "kenning.runtimes.tflite.TFLiteRuntime", "parameters": {"save_model_path": ["./build/compiled_model.tflite"]}}]
        """

    static let scenarios: [(name: String, config: String, pipelines: Int, compatible: Int)] = [
        ("onnx-tflite-tensorflow-pet-dataset", """
         {\(header)
          \(petBlocks)
          "optimizers": [\(tfliteCompiler),
                         {"type": "kenning.optimizers.onnx.ONNXCompiler", "parameters": {"compiled_model_path": ["./build/compiled_model.onnx"]}}],
          "runtime": [{"type": "kenning.runtimes.onnx.ONNXRuntime",
                       "parameters": {"save_model_path": ["./build/compiled_model.onnx"],
                                      "execution_providers": [["CPUExecutionProvider"], ["CUDAExecutionProvider"]]}},
                      {"type": "kenning.runtimes.tflite.TFLiteRuntime", "parameters": {"save_model_path": ["./build/compiled_model.tflite"]}}]}
         """, 9, 5),
        ("tvm-tflite-tensorflow-magic-wand", """
         {\(header)
          "model_wrapper": {"type": "kenning.modelwrappers.classification.tflite_magic_wand.MagicWandModelWrapper",
                            "parameters": {"model_path": "kenning:///models/classification/magic_wand.h5"}},
          "dataset": {"type": "kenning.datasets.magic_wand_dataset.MagicWandDataset", "parameters": {"dataset_root": "./build/MagicWandDataset", "download_dataset": false}},
          "optimizers": [\(tfliteCompiler), \(tvmCompiler)],
          \(tvmAndTFLiteRuntimes)}
         """, 10, 5),
        ("tvm-tflite-tensorflow-pet-dataset", """
         {\(header)
          \(petBlocks)
          "optimizers": [\(tfliteCompiler), \(tvmCompiler)],
          \(tvmAndTFLiteRuntimes)}
         """, 10, 5),
    ]

    /// A folder laid out as Kenning's examples expect, and the Kenning cache the `kenning://` URIs resolve in.
    func workspace() throws -> (dir: String, cache: String) {
        let dir = CLI.tempDir(), fm = FileManager.default
        let models = "\(dir)/kenning-cache/models/classification"
        try fm.createDirectory(atPath: "\(dir)/build", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: models, withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: "\(dir)/build/PetDataset", withDestinationPath: CLI.root + "/build/pet-fixture")
        try fm.createSymbolicLink(atPath: "\(dir)/build/MagicWandDataset", withDestinationPath: Self.magicWand + "/MagicWandDataset")
        try fm.createSymbolicLink(atPath: "\(models)/tensorflow_pet_dataset_mobilenetv2.h5", withDestinationPath: Self.petModel)
        try fm.createSymbolicLink(atPath: "\(models)/magic_wand.h5", withDestinationPath: Self.magicWand + "/kenning-cache/models/classification/magic_wand.h5")
        return (dir, "\(dir)/kenning-cache")
    }

    @Test(arguments: [0, 1, 2]) func runsUnchanged(_ index: Int) throws {
        try #require(Self.ready, "run scripts/setup-frameworks")
        try #require(FileManager.default.fileExists(atPath: Self.petModel), "run scripts/make-pet-fixture")
        try #require(FileManager.default.fileExists(atPath: Self.magicWand + "/kenning-cache/models/classification/magic_wand.h5"),
                     "run scripts/make-magic-wand-fixture")
        let s = Self.scenarios[index]
        let (dir, cache) = try workspace()
        try s.config.write(toFile: "\(dir)/\(s.name).json", atomically: true, encoding: .utf8)
        let env = ["KENNING_CACHE_DIR": cache, "KENNING_ROOT": CLI.root]

        let generated = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(s.name).json", "--output", "out/r.json", "--generate-scenarios", "scenarios"],
                                    environment: env, directory: dir)
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect((generated.stdout + generated.stderr).contains("\(s.pipelines) pipelines in the grid, \(s.compatible) compatible"),
                "\(s.name): \(generated.stdout) \(generated.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/scenarios")) ?? []).count == s.compatible)

        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(s.name).json", "--output", "out/r.json"], environment: env, directory: dir)
        #expect(r.status == 0, "\(s.name): \(r.stderr)")
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/r_all_results.json"))) as! [[String: Any]]
        #expect(all.count == s.pipelines)
        let statuses = all.compactMap { $0["status"] as? String }
        #expect(statuses.filter { $0 == "ok" }.count == s.compatible, "\(s.name): \(all.map { ($0["status"] ?? "", $0["reason"] ?? "") })")
        #expect(statuses.filter { $0 == "incompatible" }.count == s.pipelines - s.compatible)
        // Every pipeline that ran gives the unoptimized model's answers (the output check passed) and, for the trained
        // magic wand stand-in, its accuracy.
        for row in all where row["status"] as? String == "ok" {
            let metrics = row["metrics"] as? [String: Double] ?? [:]
            #expect(metrics["inferencetime_mean"].map { $0 > 0 } == true)
            if s.name.contains("magic-wand") { #expect((metrics["accuracy"] ?? 0) >= 0.95, "\(row["pipeline"] ?? ""): \(metrics)") }
        }
    }
}
