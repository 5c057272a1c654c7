import Foundation
import Testing

/// Runs the built `kenning` binary from the repository root.
struct CLI {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// The `kenning` built with these tests: it sits next to the test bundle in the same build directory, so a test
    /// never runs a stale binary from another configuration.
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while dir.path != "/" {
            dir.deleteLastPathComponent()
            let candidate = dir.appendingPathComponent("kenning").path
            if FileManager.default.isExecutableFile(atPath: candidate), !candidate.hasSuffix(".xctest/kenning") { return candidate }
            if dir.lastPathComponent.hasSuffix(".xctest") { continue }
            break
        }
        return "\(root)/.build/debug/kenning"
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts the binary in the background (output discarded).
    static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs the binary and waits; with `wrapper` (e.g. qemu-user and its options) the binary runs under that program.
    static func run(_ args: [String], environment: [String: String] = [:], wrapper: [String] = [], directory: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: wrapper.first ?? binary)
        p.arguments = wrapper.isEmpty ? args : Array(wrapper.dropFirst()) + [binary] + args
        p.currentDirectoryURL = URL(fileURLWithPath: directory ?? root)
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// A directory of this test process for files the shared configs name (never the repository's `build/`).
    static let scratch: String = {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("kenning-cli-scratch-\(getpid())")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// A JSON file's contents as Foundation values (for the result files the tests read).
    static func json(_ path: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) }

    static func tempDir() -> String {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("kenning-cli-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A fine-tune config based on the embedded default, with one part replaced.
func fineTuneConfig(optimizers: String? = nil, runtime: String? = nil, parameters: String? = nil, wrapper: String? = nil,
                    dataset: String? = nil, extra: String = "") -> String
{
    """
    {
        "optimization_parameters": \(parameters ?? #"{"strategy": "grid_search", "optimizable": ["optimizers", "runtime"], "metric": "inferencetime_mean", "policy": "min"}"#),
        "model_wrapper": \(wrapper ?? #"{"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_std": 16.0}}"#),
        "dataset": \(dataset ?? #"{"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}}"#),
        "optimizers": \(optimizers ?? #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["\#(CLI.scratch)/m.onnx"], "fuse_activations": [true, false]}}]"#),
        \(extra)
        "runtime": \(runtime ?? #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(CLI.scratch)/m.onnx"], "num_threads": [1]}}]"#)
    }
    """
}

struct BadInput: Sendable, CustomStringConvertible {
    var name: String
    var file: String  // config text
    var fileExtension = "json"
    var command = "fine-tune-optimizers"
    var expect: [String]  // substrings of stderr
    var setup: (@Sendable (String) throws -> Void)? = nil
    var description: String { name }

}

let corruptModel = CLI.scratch + "/corrupt.onnx"
let emptyModel = CLI.scratch + "/empty.onnx"

/// The bad-model catalogue (Support/make-bad-models.py), written once into the scratch directory.
let badModels: String = {
    let dir = CLI.scratch + "/bad-models"
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CLI.root + "/.venv/bin/python")
    p.arguments = [CLI.root + "/Tests/KenningCLITests/Support/make-bad-models.py", dir]
    try? p.run()
    p.waitUntilExit()
    return dir
}()

/// `kenning test` of `file` from the catalogue as the model wrapper's model, run on NativeRuntime.
func badModel(_ name: String, _ file: String, expect: [String]) -> BadInput {
    let path = CLI.scratch + "/bad-models/" + file
    return BadInput(name: name, file: #"""
    {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "\#(path)", "input_std": 16.0}},
     "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
     "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "\#(path)"}}}
    """#, command: "test", expect: expect + [path], setup: { _ in
        _ = badModels
        guard FileManager.default.fileExists(atPath: path) else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
    })
}

/// `kenning test` of the digits CNN on an image dataset block with `parameters` (JSON object text).
func imageDataset(_ name: String, type: String = "ImageFolderDataset", _ parameters: String, expect: [String],
                  wrapper: String = #"{"model_path": "models/digits-cnn.onnx", "input_std": 240.0}"#,
                  setup: (@Sendable (String) throws -> Void)? = nil) -> BadInput {
    BadInput(name: name, file: #"""
    {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": \#(wrapper)},
     "dataset": {"type": "\#(type)", "parameters": \#(parameters)},
     "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "models/digits-cnn.onnx"}}}
    """#, command: "test", expect: expect, setup: setup)
}

let imageScratch = CLI.scratch + "/images"

/// `kenning test` of AnyModel (`model`) on an ArrayDataset with `parameters`.
func arrayDataset(_ name: String, _ parameters: String, model: String = "models/digits-cnn.onnx", expect: [String]) -> BadInput {
    BadInput(name: name, file: #"""
    {"model_wrapper": {"type": "AnyModel", "parameters": {"model_path": "\#(model)"}},
     "dataset": {"type": "ArrayDataset", "parameters": \#(parameters)},
     "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "\#(model)"}}}
    """#, command: "test", expect: expect)
}

let catalogue: [BadInput] = [
    imageDataset("COCO folder without annotations", type: "COCODataset2017", #"{"dataset_root": "\#(imageScratch)/missing"}"#,
                 expect: ["COCO annotations not found", "annotations/instances_val2017.json", "is not downloaded"]),
    imageDataset("COCO annotation without a box", type: "COCODataset2017", #"{"dataset_root": "\#(imageScratch)/coco"}"#,
                 expect: ["annotation #0 needs", "bbox [x, y, width, height]"], setup: { _ in
        try FileManager.default.createDirectory(atPath: imageScratch + "/coco/annotations", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: imageScratch + "/coco/val2017", withIntermediateDirectories: true)
        try Data([0]).write(to: URL(fileURLWithPath: imageScratch + "/coco/val2017/a.jpg"))
        try #"{"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}], "categories": [{"id": 1, "name": "x"}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1}]}"#
            .write(toFile: imageScratch + "/coco/annotations/instances_val2017.json", atomically: true, encoding: .utf8)
    }),
    arrayDataset("array file that does not exist", #"{"dataset_root": "\#(CLI.scratch)/missing.npz"}"#,
                 expect: ["does not exist", "$.dataset.parameters.dataset_root", ".npy or .npz"]),
    arrayDataset("array name the archive lacks", #"{"dataset_root": "build/array-fixtures/digits.npz", "inputs": ["pixels"]}"#,
                 expect: ["has no array \"pixels\"", "input, labels", "$.dataset.parameters.inputs"]),
    arrayDataset("labels that are not classes", #"{"dataset_root": "build/array-fixtures/digits.npz", "inputs": ["labels"], "labels": "input"}"#,
                 expect: ["labels \"input\" must be 1797 whole numbers", "$.dataset.parameters.labels"]),
    arrayDataset("arrays that do not fit the model's inputs", #"{"dataset_root": "build/array-fixtures/faces.npy"}"#,
                 expect: ["samples of shape [25, 25] do not fit the model input \"input\"", "$.dataset.parameters.inputs"]),
    imageDataset("image folder that does not exist", #"{"dataset_root": "\#(imageScratch)/missing"}"#,
                 expect: ["does not exist", "$.dataset.parameters.dataset_root"]),
    imageDataset("image folder without images", #"{"dataset_root": "\#(imageScratch)/empty"}"#,
                 expect: ["has no class folders with images", "<class>/<image>"], setup: { _ in
        try FileManager.default.createDirectory(atPath: imageScratch + "/empty/cats", withIntermediateDirectories: true)
        try "not an image".write(toFile: imageScratch + "/empty/cats/notes.txt", atomically: true, encoding: .utf8)
    }),
    imageDataset("unreadable image", #"{"dataset_root": "\#(imageScratch)/corrupt", "color": "L"}"#,
                 expect: ["cannot decode the image", "broken.png", "replace or remove the file"], setup: { _ in
        try FileManager.default.createDirectory(atPath: imageScratch + "/corrupt/7", withIntermediateDirectories: true)
        try Data("\u{89}PNG but not really".utf8).write(to: URL(fileURLWithPath: imageScratch + "/corrupt/7/broken.png"))
    }),
    imageDataset("images of different sizes without image_size", #"{"dataset_root": "\#(CLI.root)/build/image-fixtures/image-folder/photos", "color": "L"}"#,
                 expect: ["samples of one dataset must have one size", "$.dataset.parameters.image_size"]),
    imageDataset("per-channel mean that does not fit the images", #"{"dataset_root": "\#(CLI.root)/build/image-fixtures/image-folder/digits", "color": "L", "split_fraction_test": 1.0}"#,
                 expect: ["input_mean has 3 values but the samples have 1 channel", "$.model_wrapper.parameters.input_mean"],
                 wrapper: #"{"model_path": "models/digits-cnn.onnx", "input_mean": [1, 2, 3]}"#),
    imageDataset("ImageNet labels that are not classes", type: "ImageNetDataset", #"{"dataset_root": "\#(imageScratch)/imagenet"}"#,
                 expect: ["labels.json", "\"cat.png\" has the class \"tabby\"", "class index 0…999"], setup: { _ in
        try FileManager.default.createDirectory(atPath: imageScratch + "/imagenet/images", withIntermediateDirectories: true)
        try #"{"cat.png": "tabby"}"#.write(toFile: imageScratch + "/imagenet/labels.json", atomically: true, encoding: .utf8)
    }),
    imageDataset("ImageNet folder without labels", type: "ImageNetDataset", #"{"dataset_root": "\#(imageScratch)/missing"}"#,
                 expect: ["ImageNet labels not found", "labels.json", "is not downloaded"]),
    badModel("truncated model", "truncated.onnx", expect: ["corrupt or non-ONNX model", "runs past the end of the data"]),
    badModel("mistyped weights", "mistyped.onnx", expect: ["tensor \"w\" has 5 values but its shape [4, 1, 3, 3] needs 36"]),
    badModel("cyclic graph", "cyclic.onnx", expect: ["the graph has a cycle through node"]),
    badModel("oversized input", "oversized.onnx", expect: ["impossible shape [1099511627776, 1099511627776]"]),
    badModel("inconsistent shapes", "inconsistent.onnx", expect: ["input has 1 channels but weights [4, 3, 3, 3] with group 1 expect 3"]),
    badModel("unknown op", "unknown-op.onnx", expect: ["NativeRuntime has no kernel for op(s) FancyAttention"]),
    badModel("subgraphs nested too deep", "deep-if.onnx", expect: ["subgraphs nested more than 16 deep"]),
    badModel("truncated TFLite model", "truncated.tflite", expect: ["is a corrupt TFLite file"]),
    badModel("an image named .onnx", "not-a-model.onnx", expect: ["corrupt or non-ONNX model"]),
    BadInput(name: "malformed JSON", file: "{\"model_wrapper\": {\"type\": \"ONNXImageClassifier\",, }", expect: ["malformed JSON", "line 1"]),
    BadInput(name: "malformed YAML", file: "model_wrapper:\n  type: [unclosed\n  parameters: {", fileExtension: "yml", expect: ["malformed YAML", "line"]),
    BadInput(name: "config is not an object", file: "[1, 2, 3]", expect: ["must be an object"]),
    BadInput(name: "unknown block type", file: fineTuneConfig(runtime: #"[{"type": "NativeRuntim", "parameters": {"save_model_path": ["m.onnx"]}}]"#),
             expect: ["unknown runtime type \"NativeRuntim\"", "did you mean \"NativeRuntime\"", "$.runtime[0].type"]),
    BadInput(name: "block of the wrong kind", file: fineTuneConfig(runtime: #"[{"type": "DigitsDataset", "parameters": {}}]"#),
             expect: ["is a dataset, not a runtime", "$.runtime[0]"]),
    BadInput(name: "typo in a parameter", file: fineTuneConfig(runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["m.onnx"], "num_thread": [1]}}]"#),
             expect: ["unknown parameter \"num_thread\"", "did you mean \"num_threads\"", "$.runtime[0].parameters.num_thread"]),
    BadInput(name: "wrong parameter type", file: fineTuneConfig(runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["m.onnx"], "num_threads": ["two"]}}]"#),
             expect: ["expected an integer", "$.runtime[0].parameters.num_threads"]),
    BadInput(name: "value out of range", file: fineTuneConfig(runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["m.onnx"], "num_threads": [0]}}]"#),
             expect: ["outside the allowed range", "num_threads"]),
    BadInput(name: "value not among the allowed ones", file: fineTuneConfig(runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["m.onnx"], "backend": ["referense"]}}]"#),
             expect: ["is not allowed", "did you mean \"reference\""]),
    BadInput(name: "missing required parameter", file: fineTuneConfig(wrapper: #"{"type": "ONNXImageClassifier", "parameters": {}}"#),
             expect: ["missing required parameter \"model_path\"", "$.model_wrapper.parameters"]),
    BadInput(name: "missing model file", file: fineTuneConfig(wrapper: #"{"type": "ONNXImageClassifier", "parameters": {"model_path": "models/nope.onnx"}}"#),
             expect: ["model file not found: models/nope.onnx", "$.model_wrapper.parameters.model_path"]),
    BadInput(name: "corrupt ONNX model", file: fineTuneConfig(wrapper: #"{"type": "ONNXImageClassifier", "parameters": {"model_path": "\#(corruptModel)"}}"#),
             expect: ["corrupt or non-ONNX model", corruptModel],
             setup: { _ in try Data("this is not a protobuf \u{1}\u{2}\u{3}".utf8).write(to: URL(fileURLWithPath: corruptModel)) }),
    BadInput(name: "empty ONNX model", file: fineTuneConfig(wrapper: #"{"type": "ONNXImageClassifier", "parameters": {"model_path": "\#(emptyModel)"}}"#),
             expect: ["the file is empty", emptyModel],
             setup: { _ in try Data().write(to: URL(fileURLWithPath: emptyModel)) }),
    BadInput(name: "missing dataset file", file: fineTuneConfig(dataset: #"{"type": "DigitsDataset", "parameters": {"dataset_root": "data/nowhere"}}"#),
             expect: ["digits data file not found", "$.dataset.parameters.dataset_root"]),
    BadInput(name: "empty grid", file: fineTuneConfig(optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["m.onnx"], "fuse_activations": []}}]"#),
             expect: ["empty list of values", "$.optimizers[0].parameters.fuse_activations"]),
    BadInput(name: "no alternatives at all", file: fineTuneConfig(runtime: "[]"), expect: ["has no alternatives", "$.runtime"]),
    BadInput(name: "optimizable parameter not a list", file: fineTuneConfig(optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["m.onnx"], "fuse_activations": true}}]"#),
             expect: ["must be a list of values", "wrap it in a list"]),
    BadInput(name: "metric no run produces", file: fineTuneConfig(parameters: #"{"strategy": "grid_search", "optimizable": ["runtime"], "metric": "accuracyy", "policy": "max"}"#),
             expect: ["no run produces the metric \"accuracyy\"", "did you mean \"accuracy\"", "$.optimization_parameters.metric"]),
    BadInput(name: "unknown strategy", file: fineTuneConfig(parameters: #"{"strategy": "bayes", "optimizable": ["runtime"], "metric": "accuracy", "policy": "max"}"#),
             expect: ["unknown optimization strategy \"bayes\"", "$.optimization_parameters.strategy"]),
    BadInput(name: "policy typo", file: fineTuneConfig(parameters: #"{"strategy": "grid_search", "optimizable": ["runtime"], "metric": "accuracy", "policy": "maximum"}"#),
             expect: ["policy must be \"min\" or \"max\"", "$.optimization_parameters.policy"]),
    BadInput(name: "optimizable key missing from the config",
             file: fineTuneConfig(parameters: #"{"strategy": "grid_search", "optimizable": ["runtime", "dataset2"], "metric": "accuracy", "policy": "max"}"#),
             expect: ["\"dataset2\" cannot be optimized", "optimizable[1]"]),
    BadInput(name: "no optimization_parameters", file: #"{"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx"}}}"#,
             expect: ["no \"optimization_parameters\""]),
    BadInput(name: "unsupported runtime_builder block", file: fineTuneConfig(extra: #""runtime_builder": {"type": "ZephyrRuntimeBuilder", "parameters": {}},"#),
             expect: ["\"runtime_builder\" block is not supported yet", "$.runtime_builder"]),
    BadInput(name: "optimizer on a target with no target", file: fineTuneConfig(optimizers: #"[{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": ["m.onnx"], "location": ["target"]}}]"#),
             expect: ["location \"target\" needs a target", "$.optimizers[0].parameters.location", "set location to \"host\""]),
    BadInput(name: "protocol parameter misspelt", file: fineTuneConfig(extra: #""protocol": {"type": "NetworkProtocol", "parameters": {"prot": 12345}},"#),
             expect: ["prot", "did you mean \"port\"", "$.protocol.parameters.prot"]),
    BadInput(name: "two targets with one name", file: fineTuneConfig(extra: #"""
        "targets": [{"name": "a", "protocol": {"type": "NetworkProtocol", "parameters": {"port": 12345}}},
                    {"name": "a", "protocol": {"type": "NetworkProtocol", "parameters": {"port": 12346}}}],
        """#), expect: ["two targets are named \"a\"", "$.targets[1].name"]),
    BadInput(name: "unknown board", file: #"""
    {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx"}},
     "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
     "platform": {"type": "BoardPlatform", "parameters": {"name": "stm32f746g_discovery"}},
     "protocol": {"type": "NetworkProtocol", "parameters": {"port": 12345}}}
    """#, command: "test", expect: ["no platform named \"stm32f746g_discovery\"", "did you mean \"stm32f746g_disco\"", "$.platform.parameters.name"]),
    BadInput(name: "local platform with a protocol", file: #"""
    {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx"}},
     "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
     "platform": {"type": "LocalPlatform", "parameters": {}},
     "protocol": {"type": "NetworkProtocol", "parameters": {"port": 12345}}}
    """#, command: "test", expect: ["is this machine", "$.platform"]),
    BadInput(name: "server off loopback without a secret", file: #"""
    {"runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "m.onnx"}},
     "protocol": {"type": "NetworkProtocol", "parameters": {"port": 12345}}}
    """#, command: "server", expect: ["0.0.0.0, which is not a loopback address, needs a shared secret", "--secret-file"]),
    BadInput(name: "server scenario without a protocol", file: #"""
    {"runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "m.onnx"}}}
    """#, command: "server", expect: ["no \"protocol\" block", "NetworkProtocol"]),
    BadInput(name: "unknown top-level key", file: fineTuneConfig(extra: #""runtimes": [],"#), expect: ["unknown top-level key \"runtimes\"", "did you mean \"runtime\""]),
    BadInput(name: "several problems at once",
             file: fineTuneConfig(runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["m.onnx"], "num_thread": [1], "backend": ["fast"]}}]"#),
             expect: ["2 problems", "num_thread", "backend"]),
    BadInput(name: "problems in fixed and optimizable blocks at once", file: #"""
    {"optimization_parameters": {"strategy": "grid_search", "optimizable": ["runtime"], "metric": "inferencetime_mean", "policy": "min"},
     "model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_stdd": 16.0}},
     "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits", "split_fraction_tst": 0.2}},
     "optimizers": [{"type": "kenning.optimizers.onnx.ONNXCompilr", "parameters": {}}],
     "runtime": [{"type": "NativeRuntime", "parameters": {"save_model_path": ["x.onnx"], "num_thread": [1]}}]}
    """#, expect: ["4 problems", "input_stdd", "split_fraction_tst", "ONNXCompilr", "num_thread"]),
    BadInput(name: "a resource that would be downloaded",
             file: fineTuneConfig(wrapper: #"{"type": "ONNXImageClassifier", "parameters": {"model_path": "https://example.org/model.onnx"}}"#),
             expect: ["https://example.org/model.onnx would be downloaded", "$.model_wrapper.parameters.model_path"]),
    BadInput(name: "test without the optimized model", file: #"""
    {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx"}},
     "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
     "optimizers": [{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": "\#(CLI.scratch)/never.onnx"}}],
     "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "\#(CLI.scratch)/never-written.onnx"}}}
    """#, command: "test", expect: ["does not exist", "$.runtime.parameters.save_model_path", "kenning optimize test"]),
    BadInput(name: "samples that do not fit the model", file: #"""
    {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx"}},
     "dataset": {"type": "RandomizedClassificationDataset", "parameters": {"input_dims": [3, 3], "num_classes": 10, "num_samples": 20}},
     "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "models/digits-cnn.onnx"}}}
    """#, command: "test", expect: ["do not fit the model input"]),
    BadInput(name: "test without a dataset", file: #"""
    {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx"}},
     "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "models/digits-cnn.onnx"}}}
    """#, command: "test", expect: ["needs a dataset"]),
]

@Suite struct BadInputCatalogue {
    @Test(arguments: catalogue)
    func badInputGivesOneClearMessage(_ c: BadInput) throws {
        let dir = CLI.tempDir()
        try c.setup?(dir)
        let cfg = "\(dir)/config.\(c.fileExtension)"
        try c.file.write(toFile: cfg, atomically: true, encoding: .utf8)
        let args = c.command == "fine-tune-optimizers"
            ? ["fine-tune-optimizers", "--json-cfg", cfg, "--output", "\(dir)/out/result.json"]
            : c.command == "server" ? ["server", "--json-cfg", cfg, "--host", "0.0.0.0", "--max-clients", "0"]
            : [c.command, "--json-cfg", cfg, "--measurements", "\(dir)/m.json"]
        let r = try CLI.run(args)
        #expect(r.status == 2, "exit code \(r.status); stderr: \(r.stderr)")
        #expect(r.stderr.hasPrefix("error:"), "stderr: \(r.stderr)")
        for needle in c.expect { #expect(r.stderr.contains(needle), "missing \"\(needle)\" in: \(r.stderr)") }
        #expect(r.stderr.contains(cfg) || c.expect.contains { $0.contains(".onnx") || $0.contains(".tflite") }, "the message should name the file: \(r.stderr)")
        #expect(r.stderr.contains("fix:") || r.stderr.contains("did you mean"), "no hint: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out/result_all_results.json"))
        try GoldenFile.check(GoldenFile.masked(r.stderr, temporary: dir), "bad-input/\(GoldenFile.slug(c.name)).txt")
        // A fix never sends the user back to the command that just failed.
        for line in r.stderr.split(separator: "\n") where line.contains("fix:") {
            #expect(!line.contains("`kenning \(c.command)`") && !line.contains("`kenning \(c.command) "), "circular fix: \(line)")
        }
    }

    @Test func missingConfigFile() throws {
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "no/such/config.json", "--output", "build/x.json"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("config file not found: no/such/config.json"))
    }

    @Test func unknownOptionAndUnknownBlock() throws {
        let a = try CLI.run(["fine-tune-optimizers", "--json-cfg", "examples/digits-fine-tune.json", "--outptu", "x.json"])
        #expect(a.status == 2)
        #expect(a.stderr.hasPrefix("error:"))
        let b = try CLI.run(["info", "NativeRuntme"])
        #expect(b.status == 2)
        #expect(b.stderr.contains("did you mean NativeRuntime"))
    }

    /// A bad config given with an existing --output leaves the earlier results untouched; so does an unwritable output path.
    @Test func nothingWrittenEarlierIsLost() throws {
        let dir = CLI.tempDir()
        let out = "\(dir)/best.json"
        let files = ["best.json", "best_all_results.json", "best_0.json"]
        for f in files { try "earlier \(f)".write(toFile: "\(dir)/\(f)", atomically: true, encoding: .utf8) }
        let cfg = "\(dir)/bad.json"
        try fineTuneConfig(parameters: #"{"strategy": "grid_search", "optimizable": ["runtime"], "metric": "latency", "policy": "min"}"#)
            .write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", cfg, "--output", out])
        #expect(r.status == 2)
        for f in files { #expect(try String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8) == "earlier \(f)") }

        try "a file".write(toFile: "\(dir)/plain-file", atomically: true, encoding: .utf8)
        let good = "\(dir)/good.json"
        try fineTuneConfig().write(toFile: good, atomically: true, encoding: .utf8)
        let u = try CLI.run(["fine-tune-optimizers", "--json-cfg", good, "--output", "\(dir)/plain-file/best.json"])
        #expect(u.status == 2)
        #expect(u.stderr.contains("plain-file"))
        #expect(u.stderr.contains("fix:"))
    }
}
