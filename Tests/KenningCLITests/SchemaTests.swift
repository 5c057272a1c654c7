import Foundation
import Testing

/// `kenning info --json-schema`: a valid draft 2020-12 schema, built from the block declarations, that accepts every
/// example config and Kenning's own documented fine-tune config, and rejects a misspelt parameter and a wrong type.
/// Validated with the `jsonschema` package (scripts/setup-python installs it into .venv).
@Suite struct JSONSchemaExport {
    /// The fine-tune config of Kenning's documentation ("Choosing optimal optimization pipeline"), unchanged.
    static let kenningDocConfig = #"""
    {"optimization_parameters": {"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min"},
     "model_wrapper": {"type": "kenning.modelwrappers.classification.tensorflow_pet_dataset.TensorFlowPetDatasetMobileNetV2",
                       "parameters": {"model_path": "kenning:///models/classification/tensorflow_pet_dataset_mobilenetv2.h5"}},
     "dataset": {"type": "kenning.datasets.pet_dataset.PetDataset", "parameters": {"dataset_root": "./build/pet-dataset"}},
     "optimizers": [
        {"type": "kenning.optimizers.tflite.TFLiteCompiler", "parameters": {"target": ["default"], "compiled_model_path": ["./build/compiled_model.tflite"]}},
        {"type": "kenning.optimizers.tvm.TVMCompiler", "parameters": {"target": ["llvm"], "compiled_model_path": ["./build/compiled_model.tar"],
                                                                      "opt_level": [3], "conv2d_data_layout": ["NHWC", "NCHW"]}}],
     "runtime": [
        {"type": "kenning.runtimes.tvm.TVMRuntime", "parameters": {"save_model_path": ["./build/compiled_model.tar"]}},
        {"type": "kenning.runtimes.tflite.TFLiteRuntime", "parameters": {"save_model_path": ["./build/compiled_model.tflite"]}}]}
    """#

    /// Validates each file against the schema; prints one line per file: its name, then the error messages.
    static let validator = #"""
    import json, sys, jsonschema
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    for path in sys.argv[2:]:
        errors = sorted(e.message for e in v.iter_errors(json.load(open(path))))
        print(json.dumps({"file": path, "errors": errors}))
    """#

    @Test func schemaValidatesConfigs() throws {
        let python = CLI.root + "/.venv/bin/python"
        try #require(FileManager.default.isExecutableFile(atPath: python), "the test venv is missing: run scripts/setup-python")
        let dir = CLI.tempDir()
        let r = try CLI.run(["info", "--json-schema"])
        #expect(r.status == 0, "\(r.stderr)")
        try r.stdout.write(toFile: "\(dir)/schema.json", atomically: true, encoding: .utf8)
        try Self.kenningDocConfig.write(toFile: "\(dir)/kenning-doc.json", atomically: true, encoding: .utf8)
        let misspelt = Self.kenningDocConfig.replacingOccurrences(of: "\"opt_level\"", with: "\"opt_levle\"")
        try misspelt.write(toFile: "\(dir)/misspelt.json", atomically: true, encoding: .utf8)
        let wrongType = Self.kenningDocConfig.replacingOccurrences(of: "\"opt_level\": [3]", with: "\"opt_level\": [\"three\"]")
        try wrongType.write(toFile: "\(dir)/wrong-type.json", atomically: true, encoding: .utf8)
        let examples = try FileManager.default.contentsOfDirectory(atPath: CLI.root + "/examples").filter { $0.hasSuffix(".json") }.sorted()
        #expect(examples.count >= 5)
        let files = examples.map { CLI.root + "/examples/" + $0 } + ["\(dir)/kenning-doc.json", "\(dir)/misspelt.json", "\(dir)/wrong-type.json"]

        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", Self.validator, "\(dir)/schema.json"] + files
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(errText)")
        var errors: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            errors[(o["file"] as? String ?? "") .components(separatedBy: "/").last ?? ""] = o["errors"] as? [String] ?? []
        }
        for name in examples + ["kenning-doc.json"] { #expect(errors[name] == [], "\(name): \(errors[name] ?? ["not validated"])") }
        // A misspelt parameter or a wrong type is not accepted (the schema is as strict as the decoder).
        #expect(errors["misspelt.json"]?.isEmpty == false)
        #expect(errors["wrong-type.json"]?.isEmpty == false)
        // The same misspelling is what `fine-tune-optimizers` reports, with the fix.
        let bad = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/misspelt.json", "--output", "\(dir)/out/r.json"])
        #expect(bad.status == 2 && bad.stderr.contains("opt_levle") && bad.stderr.contains("did you mean \"opt_level\""), "\(bad.stderr)")
    }

    @Test func infoWithoutABlockNamesTheChoices() throws {
        let r = try CLI.run(["info"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--json-schema") && r.stderr.contains("kenning list"))
    }
}
