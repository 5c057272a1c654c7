import Foundation
import KenningCore
import KenningWorkers

/// Preprocessed training samples for calibration, in batches of up to 64; evenly spread over the training split.
func calibrationBatches(dataset: any Dataset, wrapper: any ModelWrapper, io: IOSpec, fraction: Double, limit: Int = 500) throws(KenningError) -> [[Tensor]] {
    let train = dataset.trainIndices.isEmpty ? dataset.testIndices : dataset.trainIndices
    let count = min(limit, max(1, Int((Double(train.count) * fraction).rounded())))
    let step = Double(train.count) / Double(count)
    let picked = (0..<count).map { train[min(train.count - 1, Int(Double($0) * step))] }
    var batches: [[Tensor]] = []
    for start in stride(from: 0, to: picked.count, by: 64) {
        let samples = picked[start..<min(start + 64, picked.count)].map(dataset.sample)
        batches.append(try wrapper.preprocess(Array(samples), inputShapes: dataset.inputShapes, io: io))
    }
    return batches
}

/// What every worker-backed optimizer shares: the base parameters, the request to the worker and the artifact.
struct WorkerOptimizerSupport: Sendable {
    let block: String
    let framework: String
    let inputs: [ModelFormat]
    let output: ModelFormat
    let parameters: ResolvedParameters

    static func common(_ extra: [ParameterSpec], modelFrameworks: [String]? = nil) -> [ParameterSpec] {
        [
            ParameterSpec(CommonParameter.compiledModelPath, .path, help: "Where the compiled model is written"),
            ParameterSpec(CommonParameter.location, .choice(["host", "target"]), default: "host",
                          help: "Where the optimization runs: host, or target (the target's `kenning server`, over the scenario's protocol)"),
        ] + (modelFrameworks.map { [ParameterSpec("model_framework", .choice($0 + ["any"]), default: "any",
                                                  help: "Framework of the input model (Kenning's key); any: taken from the file")] } ?? [])
            + extra
    }

    var compiledModelPath: String { parameters[CommonParameter.compiledModelPath] ?? "" }

    /// The formats the block instance admits before looking at the bytes: its own, plus the model wrappers' formats.
    /// The engine's cached compile steps label an earlier step's artifact with the wrapper's format (keras for a
    /// keras → TFLite → TVM chain), so the instance cannot trust the label; `compile` reads the real format from the
    /// file. Pipeline planning still uses the block description's exact formats.
    var admitted: [ModelFormat] { inputs + [.onnx, .keras].filter { !inputs.contains($0) } }

    /// The format of the model file at `path`, from its first bytes only (nil when unreadable or unknown).
    static func sniff(file path: String) -> ModelFormat? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 256)).flatMap(sniff)
    }

    /// The format of a model file, from its first bytes (nil when unknown).
    static func sniff(_ data: Data) -> ModelFormat? {
        let b = [UInt8](data.prefix(256))
        guard b.count >= 8 else { return nil }
        if b[4...7] == [0x54, 0x46, 0x4C, 0x33] { return .tflite }                 // "TFL3"
        if b[0...3] == [0x4B, 0x4E, 0x56, 0x58] { return .openvino }               // our IR bundle "KNVX"
        if b[0...3] == [0x89, 0x48, 0x44, 0x46] { return .keras }                  // HDF5 (.h5)
        if b[0...1] == [0x50, 0x4B] {                                               // a zip: IREE's .vmfb or a .keras
            let iree: [UInt8] = [0x49, 0x52, 0x45, 0x45]
            return (0..<(b.count - 3)).contains { Array(b[$0..<($0 + 4)]) == iree } ? .iree : .keras
        }
        if b[0] == 0x08 { return .onnx }                                           // ModelProto field 1 (ir_version)
        return nil
    }

    /// `settings` override parameter values sent to the worker (a decided `auto`); `quantization` goes to the side file.
    func compile(_ input: ModelArtifact, calibration: [[Tensor]] = [], framework override: String? = nil,
                 settings: [(String, JSONValue)] = [], quantization: JSONValue? = nil) throws(KenningError) -> ModelArtifact {
        guard let data = FileManager.default.contents(atPath: input.path) else {
            throw .badInput("cannot read the model \(input.path)", file: input.path, fix: "check the model path")
        }
        var input = input
        if let real = Self.sniff(data) { input.format = real }
        if let declared = parameters["model_framework"]?.stringValue, declared != "any", declared != input.format.rawValue {
            throw .badInput("\(block): model_framework is \(declared), but the input model is \(input.format.rawValue)", path: "$.parameters.model_framework",
                            fix: "set model_framework to \"\(input.format.rawValue)\" or \"any\"")
        }
        guard inputs.contains(input.format) else {
            throw .badInput("\(block) takes \(inputs.map(\.rawValue).joined(separator: ", ")) models, got \(input.format)",
                            fix: "put it where the previous block produces one of those formats")
        }
        let out = (compiledModelPath as NSString).standardizingPath
        let absolute = out.hasPrefix("/") ? out : FileManager.default.currentDirectoryPath + "/" + out
        try? FileManager.default.createDirectory(atPath: (absolute as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var params = parameters.json.setting("compiled_model_path", to: .string(absolute))
        params = params.setting("model_framework", to: .string(input.format.rawValue))
        for (key, value) in settings { params = params.setting(key, to: value) }
        let bytes = try WorkerCompilation.compile(framework: override ?? framework, type: block, parameters: params, model: [UInt8](data), io: input.io,
                                                  calibration: calibration)
        if !FileManager.default.fileExists(atPath: absolute) {
            // A worker elsewhere (a remote target) cannot write our file: write the bytes it returned.
            do { try Data(bytes).write(to: URL(fileURLWithPath: absolute), options: .atomic) } catch {
                throw .failure("cannot write \(absolute): \(error.localizedDescription)", fix: "choose a writable compiled_model_path")
            }
        }
        let artifact = ModelArtifact(path: compiledModelPath, format: output, io: input.io)
        try IOSpecFile.write(artifact.io, nextTo: compiledModelPath, quantization: quantization)
        return artifact
    }
}
