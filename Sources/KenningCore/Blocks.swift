/// The kinds of blocks a scenario combines; the raw value is the scenario key.
public enum BlockKind: String, Sendable, CaseIterable {
    case modelWrapper = "model_wrapper"
    case dataset
    case optimizer = "optimizers"
    case runtime
    case `protocol`
    case platform

    /// Kenning's Python package for this kind, used to resolve dotted names.
    public var kenningPackage: String {
        switch self {
        case .modelWrapper: return "kenning.modelwrappers"
        case .dataset: return "kenning.datasets"
        case .optimizer: return "kenning.optimizers"
        case .runtime: return "kenning.runtimes"
        case .protocol: return "kenning.protocols"
        case .platform: return "kenning.platforms"
        }
    }

    public var displayName: String {
        switch self {
        case .modelWrapper: return "model wrapper"
        case .dataset: return "dataset"
        case .optimizer: return "optimizer"
        case .runtime: return "runtime"
        case .protocol: return "protocol"
        case .platform: return "platform"
        }
    }
}

/// A model file format, as Kenning names it (`onnx`, `keras`, `tflite`, `tvm`, …).
public struct ModelFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let onnx = ModelFormat(rawValue: "onnx")
    public static let keras = ModelFormat(rawValue: "keras")
    public static let tflite = ModelFormat(rawValue: "tflite")
    public static let tvm = ModelFormat(rawValue: "tvm")
    public static let iree = ModelFormat(rawValue: "iree")
    public static let openvino = ModelFormat(rawValue: "openvino")
}

/// Name, shape (-1 = any size), and element type of one model input or output.
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var elementType: ElementType

    public init(name: String, shape: [Int], elementType: ElementType) {
        self.name = name
        self.shape = shape
        self.elementType = elementType
    }

    public var json: JSONValue {
        .object([("name", .string(name)), ("shape", JSONValue(shape)), ("dtype", .string(elementType.numpyName))])
    }
}

/// A model's IO specification; travels with every artifact (Kenning's `<model>.json` side file).
public struct IOSpec: Sendable, Equatable {
    public var inputs: [TensorSpec]
    public var outputs: [TensorSpec]

    public init(inputs: [TensorSpec], outputs: [TensorSpec]) {
        self.inputs = inputs
        self.outputs = outputs
    }

    public var json: JSONValue {
        .object([("input", .array(inputs.map(\.json))), ("output", .array(outputs.map(\.json)))])
    }
}

/// A model on disk together with its format and IO specification.
public struct ModelArtifact: Sendable, Equatable {
    public var path: String
    public var format: ModelFormat
    public var io: IOSpec

    public init(path: String, format: ModelFormat, io: IOSpec) {
        self.path = path
        self.format = format
        self.io = io
    }
}

/// Name and version of the framework behind a block, recorded in measurements.
public struct FrameworkInfo: Sendable, Equatable {
    public var name: String
    public var version: String
    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}

/// A data set split into train and test parts; samples are raw values, preprocessing belongs to the model wrapper.
public protocol Dataset: Sendable {
    var classNames: [String] { get }
    /// Shape of one raw sample (e.g. `[8, 8]`).
    var sampleShape: [Int] { get }
    var trainIndices: [Int] { get }
    var testIndices: [Int] { get }
    var batchSize: Int { get }
    func sample(_ index: Int) -> [Float]
    func label(_ index: Int) -> Int
}

/// Wraps a model file: where it is, its format, and how data goes in and out of it.
public protocol ModelWrapper: Sendable {
    var modelPath: String { get }
    var format: ModelFormat { get }
    var framework: FrameworkInfo { get }
    /// Reads the model and returns it as an artifact (IO spec included). Bad or missing models are `badInput`.
    func artifact() throws(KenningError) -> ModelArtifact
    /// Turns a batch of raw samples into the model's input tensors.
    func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor]
    /// Turns the model's outputs into per-sample class scores.
    func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]]
}

/// What an optimizer may use besides its input model.
public struct OptimizationContext: Sendable {
    public var dataset: (any Dataset)?
    public var modelWrapper: any ModelWrapper
    public init(dataset: (any Dataset)?, modelWrapper: any ModelWrapper) {
        self.dataset = dataset
        self.modelWrapper = modelWrapper
    }
}

public protocol Optimizer: Sendable {
    var inputFormats: [ModelFormat] { get }
    var outputFormat: ModelFormat { get }
    var compiledModelPath: String { get }
    var framework: FrameworkInfo { get }
    /// Compiles `input` and writes the result (and its IO spec side file) at `compiledModelPath`.
    func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact
}

public protocol Runtime: Sendable {
    var inputFormats: [ModelFormat] { get }
    /// Where the runtime loads its model from (Kenning's `save_model_path`).
    var saveModelPath: String? { get }
    var framework: FrameworkInfo { get }
    /// Why this runtime cannot run `model` (before any work starts), or nil when it can.
    func incompatibility(with model: ModelArtifact) -> String?
    func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession
}

/// A loaded model, owned by one task.
public protocol InferenceSession: AnyObject {
    func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor]
    /// Seconds the last `run` spent inside the framework's own inference call, as measured where the model runs
    /// (e.g. by a worker process). nil means the host's timing of `run` is the measurement.
    var lastInferenceSeconds: Double? { get }
}

extension InferenceSession {
    public var lastInferenceSeconds: Double? { nil }
}
