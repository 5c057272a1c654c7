import Foundation
import Synchronization
import KenningCore
import KenningModel
import KenningNative

/// The Swift inference runtime. `backend` picks the library behind Conv/Gemm/MatMul: `reference` (plain Swift, the
/// correctness oracle for every op), `openblas`, `onednn`, `xnnpack`, or `auto` (the fastest known: oneDNN).
public struct NativeRuntime: Runtime {
    /// The names of this block's own parameters, with the types they are read as.
    enum Key {
        static let numThreads = ParameterKey<Int>("num_threads")
        static let backend = ParameterKey<String>("backend")
        static let profile = ParameterKey<Bool>("profile")
    }

    public static let description = BlockDescription(
        kind: .runtime, name: "NativeRuntime",
        summary: "Runs ONNX models in-process on Swift, oneDNN, OpenBLAS or XNNPACK kernels (fp32 and QDQ int8)",
        parameters: [
            ParameterSpec(CommonParameter.saveModelPath, .path, help: "Path of the model the runtime loads (the pipeline copies its optimized model here)"),
            ParameterSpec(Key.numThreads, .integer, default: 1, range: 1...256, help: "Worker threads per operator (every backend)"),
            ParameterSpec(Key.backend, .choice(NativeBackend.names), default: "reference",
                          help: "Kernel library for Conv/Gemm/MatMul: reference (plain Swift), openblas, onednn, xnnpack, or auto (onednn)"),
            ParameterSpec(Key.profile, .boolean, default: false,
                          help: "Print per-op times to standard error when the session ends (also KENNING_PROFILE=1)"),
            ParameterSpec(CommonParameter.batchSize, .integer, default: 1, range: 1...65536, help: "Batches smaller than this are zero-padded to it"),
            ParameterSpec(CommonParameter.disablePerformanceMeasurements, .boolean, default: false,
                          help: "Skip CPU and memory sampling during the session"),
        ],
        inputFormats: [.onnx, .tflite])

    public let saveModelPath: String?
    public let threads: Int
    public let backend: NativeBackend
    public let profile: Bool
    public let inputFormats: [ModelFormat] = [.onnx, .tflite]
    public var framework: FrameworkInfo { FrameworkInfo(name: "swift-kenning-native", version: KenningVersion.current) }

    public init(_ p: ResolvedParameters) throws(KenningError) {
        saveModelPath = p[CommonParameter.saveModelPath]
        threads = p[Key.numThreads]
        backend = NativeBackend(rawValue: p[Key.backend] ?? "reference") ?? .reference
        profile = p[Key.profile]
    }

    public func incompatibility(with artifact: ModelArtifact) -> String? {
        guard inputFormats.contains(artifact.format) else { return "NativeRuntime runs onnx and tflite models, not \(artifact.format)" }
        let model: Model
        do {
            model = try self.model(artifact)
        } catch {
            // A TFLite model the importer cannot read is incompatible; any other load problem is reported by the run.
            return artifact.format == .tflite ? error.problems.first?.what : nil
        }
        let unsupported = NativeOps.unsupportedNodes(in: model)
        if !unsupported.isEmpty {
            let ops = Set(unsupported.map(NativeOps.key)).sorted().joined(separator: ", ")
            return "NativeRuntime has no kernel for op(s) \(ops) of \(artifact.path) (first: \(unsupported[0].label))"
        }
        return NativeSession.int8Incompatibility(model, backend: backend)
    }

    /// The model read last, by path and file stamp: the compatibility check and the load that follows it read it once.
    private let lastRead = LastRead()

    private final class LastRead: Sendable {
        let entry = Mutex<(key: [String], model: Model)?>(nil)
    }

    /// The artifact's model in the graph IR: ONNX as it is, TFLite through the importer.
    func model(_ artifact: ModelArtifact) throws(KenningError) -> Model {
        let attributes = try? FileManager.default.attributesOfItem(atPath: artifact.path)
        let key = [artifact.path, artifact.format.rawValue, "\((attributes?[.size] as? Int) ?? -1)",
                   "\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"]
        if let known = lastRead.entry.withLock({ $0 }), known.key == key { return known.model }
        let model = try Self.read(artifact)
        lastRead.entry.withLock { $0 = (key, model) }
        return model
    }

    static func read(_ artifact: ModelArtifact) throws(KenningError) -> Model {
        switch artifact.format {
        case .onnx: return try ONNX.load(path: artifact.path)
        case .tflite: return try TFLite.load(path: artifact.path)
        default: throw .badInput("NativeRuntime cannot load a \(artifact.format) model", fix: "use an onnx or tflite model")
        }
    }

    public func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession {
        let model = try self.model(artifact)
        let shapes: [String: [Int]]?
        do {
            shapes = try NativeSession.inferShapes(model)
        } catch {
            throw error.inFile(artifact.path)
        }
        return try NativeSession(model: model, threads: threads, backend: backend, profile: profile, shapes: shapes)
    }
}
