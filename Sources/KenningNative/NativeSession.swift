import Foundation
import KenningCore
import KenningModel

/// A model ready to run on the native runtime.
///
/// With a backend other than `reference`, BatchNormalization is first folded into the preceding convolutions and
/// activations are fused into them (as ONNX Runtime does when it loads a model), and Conv/Gemm/MatMul with
/// constant weights run on the backend, weights packed once and primitives created once per input shape.
///
/// A model whose inputs have fixed shapes (but for the batch) is planned once, when the session is made. A model
/// with other symbolic input dimensions is planned at its first run for the shapes it gets, and again for each new
/// input signature (the few most recent plans are kept), so its layout plan and fusions use real shapes.
public final class NativeSession: InferenceSession {
    typealias Kernel = ([Tensor?]) throws -> [Tensor]

    public let threads: Int
    public let backend: NativeBackend
    public let profiling: Bool
    /// Called with every value a node produces (calibration); values may be channels-last on oneDNN/XNNPACK.
    public var observer: ((String, Tensor) -> Void)? {
        didSet { for plan in [fixed].compactMap({ $0 }) + signatures.map(\.plan) { plan.observer = observer } }
    }
    private let original: Model
    private let requested: NativeBackend
    private let keepIntermediates: Bool
    /// The plan of a model with fixed input shapes.
    private let fixed: ExecutionPlan?
    /// Plans by input shapes (batch dimension included) and control values, most recently used last.
    private var signatures: [(shapes: [[Int]], control: [Tensor], plan: ExecutionPlan)] = []
    /// For a model with If nodes: the runtime inputs (by position) that are integer scalars, such as a sample rate.
    /// Their values are part of a plan's signature and constants in it, so conditions on them resolve when planning.
    private let controlInputs: [Int]
    /// True when the model has If nodes: each plan then starts from the model with its branches resolved.
    private let hasControlFlow: Bool
    private static let keptSignatures = 4

    /// Plans `model` for `backend` with `threads` worker threads. `profile` (or `KENNING_PROFILE=1`) records per-op times,
    /// printed to standard error when the session ends.
    ///
    /// `keepIntermediates` skips the fusions that remove values (residual and activation fusion), so an `observer`
    /// sees every value of the graph (calibration).
    /// `shapes`, when given, are the values' shapes from shape inference on `original` (inferred here otherwise).
    public init(model original: Model, threads: Int, backend requested: NativeBackend = .reference, profile: Bool = false,
                keepIntermediates: Bool = false, shapes: [String: [Int]]? = nil) throws(KenningError) {
        self.threads = max(1, threads)
        self.backend = requested.resolved
        self.profiling = profile || ProcessInfo.processInfo.environment["KENNING_PROFILE"].map { $0 != "" && $0 != "0" } ?? false
        self.original = original
        self.requested = requested
        self.keepIntermediates = keepIntermediates
        let unsupported = NativeOps.unsupportedNodes(in: original)
        if let first = unsupported.first {
            let ops = Set(unsupported.map(NativeOps.key)).sorted().joined(separator: ", ")
            throw .badInput("the native runtime cannot run \(first.label): unsupported op(s) \(ops)",
                            fix: "use a runtime that supports these ops, or remove them from the model")
        }
        hasControlFlow = ControlFlow.hasControlFlow(original)
        controlInputs = hasControlFlow ? original.graph.runtimeInputs.indices.filter { i in
            let input = original.graph.runtimeInputs[i]
            return [.int64, .int32, .bool].contains(input.elementType) && (input.shape ?? []).allSatisfy { $0.value == 1 }
        } : []
        if !hasControlFlow, Self.fixedInputShapes(original) != nil {
            let shapes = shapes ?? (try? Self.inferShapes(original)) ?? nil
            fixed = try ExecutionPlan(model: original, threads: threads, backend: requested, profile: profiling,
                                      keepIntermediates: keepIntermediates, shapes: shapes)
        } else {
            fixed = nil
        }
    }

    /// Kernel provider of each planned node, in execution order (for tests and reports); for a model planned per input
    /// signature, those of the most recent run.
    public var plannedProviders: [(node: String, op: String, provider: String)] {
        (fixed ?? signatures.last?.plan)?.plannedProviders ?? []
    }

    public func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor] {
        let plan = try plan(for: inputs)
        if controlInputs.isEmpty { return try plan.run(inputs) }
        return try plan.run(inputs.indices.filter { !controlInputs.contains($0) }.map { inputs[$0] })
    }

    /// The plan for these inputs' shapes (and control values): the fixed one, a kept one, or a new one from shape
    /// inference on them, with the model's If nodes resolved.
    private func plan(for inputs: [Tensor]) throws(KenningError) -> ExecutionPlan {
        if let fixed { return fixed }
        let key = inputs.map(\.shape)
        let control = controlInputs.compactMap { $0 < inputs.count ? inputs[$0] : nil }
        if let i = signatures.firstIndex(where: { $0.shapes == key && $0.control == control }) {
            let entry = signatures.remove(at: i)
            signatures.append(entry)
            return entry.plan
        }
        let names = original.graph.runtimeInputs.map(\.name)
        guard names.count == inputs.count else { throw .failure("the model takes \(names.count) input(s), got \(inputs.count)") }
        let inputShapes = Dictionary(uniqueKeysWithValues: zip(names, key))
        var model = original
        if hasControlFlow {
            let values = Dictionary(uniqueKeysWithValues: zip(controlInputs.map { names[$0] }, control))
            model = try ControlFlow.resolved(original, inputShapes: inputShapes, controlValues: values, evaluate: NativeSession.evaluate)
        }
        let shapes = try ShapeInference.infer(model, inputShapes: inputShapes, evaluate: NativeSession.evaluate)
        let plan = try ExecutionPlan(model: model, threads: threads, backend: requested, profile: profiling,
                                     keepIntermediates: keepIntermediates, shapes: shapes)
        plan.observer = observer
        signatures.append((key, control, plan))
        if signatures.count > Self.keptSignatures { signatures.removeFirst() }
        return plan
    }

    /// Per-op time table: by op type, then the 15 slowest nodes (milliseconds per run), of the plan run most recently.
    public func profileReport() -> String {
        (fixed ?? signatures.last?.plan)?.profileReport() ?? "native profile: no run yet"
    }
}

extension NativeSession {
    /// Evaluates one node on constant inputs (used by constant folding).
    public static func evaluate(_ node: Node, _ inputs: [Tensor?], opset: Int) throws -> [Tensor] {
        try kernel(for: node, opset: opset, threads: 1)(inputs)
    }
}
