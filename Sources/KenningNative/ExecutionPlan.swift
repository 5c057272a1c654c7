import Foundation
import KenningCore
import KenningModel

/// A model planned for execution for one set of value shapes (or none): constants evaluated once, nodes in order,
/// each bound to its kernel, values laid out channels-last where the backend wants it and the shapes allow.
final class ExecutionPlan {
    typealias Kernel = NativeSession.Kernel

    struct Step {
        let node: Node
        let kernel: Kernel
        let inputs: [Int?]
        let outputs: [Int?]
        /// Slots whose last reader is this step (freed right after it).
        var release: [Int] = []
        /// Where the kernel comes from ("onednn", "reference", …), for the profile.
        let provider: String
    }

    private let steps: [Step]
    private let initialSlots: [Tensor?]
    private let inputSlots: [Int]
    private let outputSlots: [Int]
    private let factory: (any OperatorFactory)?
    /// XNNPACK context (thread pool) of the int8 convolutions, when the model has any.
    private let int8Context: XNNPACKFactory?
    /// Graph outputs left channels-last by the plan (converted to NCHW before they are returned).
    private let outputChannelsLast: [Bool]
    let threads: Int
    let backend: NativeBackend
    /// Per-step wall time in nanoseconds, summed over runs (only when profiling).
    private var profileNanos: [UInt64]
    private var profiledRuns = 0
    let profiling: Bool
    /// Called with every value a node produces (calibration); values may be channels-last on oneDNN/XNNPACK.
    var observer: ((String, Tensor) -> Void)?

    /// Plans `original` for `backend` with `threads` worker threads, given every value's shape (nil: no shapes known,
    /// every value NCHW and no residual fusion).
    init(model original: Model, threads: Int, backend requested: NativeBackend, profile: Bool, keepIntermediates: Bool,
         shapes given: [String: [Int]]?) throws(KenningError) {
        self.threads = max(1, threads)
        let backend = requested.resolved
        self.backend = backend
        self.profiling = profile
        let (model, shapes) = try NativeSession.optimized(original, backend: backend, keepIntermediates: keepIntermediates, shapes: given)
        let opset = model.defaultOpset
        switch backend {
        case .reference, .auto: factory = nil
        case .openblas: factory = OpenBLASFactory(threads: self.threads)
        case .onednn: factory = try OneDNNFactory(threads: self.threads)
        case .xnnpack: factory = try XNNPACKFactory(threads: self.threads)
        }
        var slotOf: [String: Int] = [:]
        var initial: [Tensor?] = []
        func slot(_ name: String) -> Int {
            if let s = slotOf[name] { return s }
            slotOf[name] = initial.count
            initial.append(nil)
            return initial.count - 1
        }
        for (name, t) in model.graph.initializers { initial[slot(name)] = t }
        let inputSlots = model.graph.runtimeInputs.map { slot($0.name) }
        var nodes: [Node] = []
        for node in try model.graph.topologicallySorted() {
            if node.opType == "Constant" {
                initial[slot(node.outputs[0])] = try NativeSession.constantValue(node)
            } else {
                nodes.append(node)
            }
        }
        func constants(_ node: Node) -> [Tensor?] { node.inputs.map { $0.isEmpty ? nil : slotOf[$0].flatMap { initial[$0] } } }
        let layout: LayoutPlan? = factory?.prefersChannelsLast == true
            ? shapes.map { LayoutPlan(shapes: $0, nodes: nodes, constants: constants, backendConv: { NativeSession.isBackendConv($0, constants($0)) }) }
            : nil
        var steps: [Step] = []
        var int8Context: XNNPACKFactory? = nil
        for (index, node) in nodes.enumerated() {
            do {
                var kernel: Kernel? = nil
                var provider = "reference"
                let inCL = layout.map { node.inputs.first.map($0.channelsLast.contains) ?? false } ?? false
                let outCL = layout.map { node.outputs.first.map($0.channelsLast.contains) ?? false } ?? false
                if NativeOps.key(node) == "kenning.native.QLinearConv", let spec = QConvSpec(node: node, constants: constants(node)) {
                    if int8Context == nil { int8Context = try XNNPACKFactory(threads: self.threads) }
                    let pool = int8Context?.pool, threads = self.threads
                    let xnnpack = { XNNPACKQConv(spec, pool: pool, threads: threads, inputChannelsLast: inCL, outputChannelsLast: outCL) }
                    let planned: any PlannedOperator
                    if let chosen = try factory?.qconv(spec, inputChannelsLast: inCL, outputChannelsLast: outCL, strict: requested != .auto,
                                                       fallback: xnnpack) {
                        (planned, provider) = chosen
                    } else {
                        planned = xnnpack()
                        provider = "xnnpack-int8"
                    }
                    kernel = { a in [try planned.run(try NativeSession.required(a, 0, "x"), residual: nil)] }
                } else if let factory, let planned = try NativeSession.planned(node, constants: constants(node), factory: factory,
                                                                         threads: self.threads, inputChannelsLast: inCL,
                                                                         outputChannelsLast: outCL, opset: opset) {
                    kernel = { a in [try planned.run(try NativeSession.required(a, 0, "X"), residual: a.count > 3 ? a[3] : nil)] }
                    provider = backend.rawValue
                } else if let layout, layout.channelsLastKernel.contains(index) {
                    if let pool = factory?.channelsLastPool(node) {
                        kernel = { a in [try pool.run(try NativeSession.required(a, 0, "X"), residual: nil)] }
                        provider = backend.rawValue
                    } else {
                        kernel = try NativeSession.channelsLastKernel(for: node, constants: constants(node), threads: self.threads)
                        provider = "reference-nhwc"
                    }
                }
                var k = try kernel ?? NativeSession.kernel(for: node, opset: opset, threads: self.threads)
                if let conversions = layout?.conversions[index], !conversions.isEmpty {
                    let base = k, threads = self.threads
                    k = { a in
                        var a = a
                        for (i, c) in conversions {
                            if let t = a[i] { a[i] = c == .toNCHW ? ChannelsLast.toNCHW(t, threads: threads) : ChannelsLast.toNHWC(t, threads: threads) }
                        }
                        return try base(a)
                    }
                }
                steps.append(Step(node: node, kernel: k, inputs: node.inputs.map { $0.isEmpty ? nil : slot($0) },
                                  outputs: node.outputs.map { $0.isEmpty ? nil : slot($0) }, provider: provider))
            } catch let e as KernelError {
                throw .badInput("cannot plan \(node.label): \(e.reason)", fix: "check the model; this node's attributes are not supported")
            } catch let e as KenningError {
                throw e
            } catch {
                throw .badInput("cannot plan \(node.label): \(error)")
            }
        }
        self.outputChannelsLast = model.graph.outputs.map { layout?.channelsLast.contains($0.name) ?? false }
        self.int8Context = int8Context
        let outputSlots = model.graph.outputs.map { slot($0.name) }
        // Free each intermediate value after its last reader.
        var lastUse: [Int: Int] = [:]
        for (i, step) in steps.enumerated() { for s in step.inputs.compactMap({ $0 }) { lastUse[s] = i } }
        let keep = Set(outputSlots).union(initial.indices.filter { initial[$0] != nil })
        for (s, i) in lastUse where !keep.contains(s) { steps[i].release.append(s) }
        self.steps = steps
        self.initialSlots = initial
        self.inputSlots = inputSlots
        self.outputSlots = outputSlots
        self.profileNanos = [UInt64](repeating: 0, count: steps.count)
    }

    deinit {
        if profiling, profiledRuns > 0 {
            FileHandle.standardError.write(Data((profileReport() + "\n").utf8))
        }
    }

    /// Kernel provider of each planned node, in execution order (for tests and reports).
    var plannedProviders: [(node: String, op: String, provider: String)] {
        steps.map { ($0.node.name, NativeOps.key($0.node), $0.provider) }
    }

    func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor] {
        guard inputs.count == inputSlots.count else {
            throw .failure("the model takes \(inputSlots.count) input(s), got \(inputs.count)")
        }
        var values = initialSlots
        for (s, t) in zip(inputSlots, inputs) { values[s] = t }
        factory?.prepareRun()
        for (i, step) in steps.enumerated() {
            let args = step.inputs.map { $0.flatMap { values[$0] } }
            let start = profiling ? DispatchTime.now().uptimeNanoseconds : 0
            do {
                let outs = try step.kernel(args)
                for (s, t) in zip(step.outputs, outs) { if let s { values[s] = t } }
                if let observer { for (name, t) in zip(step.node.outputs, outs) where !name.isEmpty { observer(name, t) } }
            } catch let e as KernelError {
                throw .failure("\(step.node.label) failed: \(e.reason)", fix: "check that the input matches the model's IO specification")
            } catch let e as KenningError {
                throw e
            } catch {
                throw .failure("\(step.node.label) failed: \(error)")
            }
            if profiling { profileNanos[i] += DispatchTime.now().uptimeNanoseconds - start }
            for s in step.release { values[s] = nil }
        }
        if profiling { profiledRuns += 1 }
        let threads = self.threads
        return try zip(outputSlots, outputChannelsLast).map { (s: Int, channelsLast: Bool) throws(KenningError) -> Tensor in
            guard let t = values[s] else { throw .failure("the model did not produce all of its outputs") }
            return channelsLast ? ChannelsLast.toNCHW(t, threads: threads) : t
        }
    }

    /// Per-op time table: by op type, then the 15 slowest nodes (milliseconds per run).
    func profileReport() -> String {
        let runs = Double(max(profiledRuns, 1))
        let total = Double(profileNanos.reduce(0, +)) / 1e6 / runs
        var byOp: [String: (ms: Double, count: Int)] = [:]
        for (step, ns) in zip(steps, profileNanos) {
            let key = "\(NativeOps.key(step.node)) [\(step.provider)]"
            byOp[key, default: (0, 0)].ms += Double(ns) / 1e6 / runs
            byOp[key, default: (0, 0)].count += 1
        }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func ms(_ v: Double) -> String { String(format: "%9.3f", v) }
        var lines = ["native profile: backend \(backend.rawValue), \(threads) thread(s), \(profiledRuns) run(s), \(ms(total)) ms per run",
                     "  " + pad("op [kernel]", 36) + "  nodes        ms      %"]
        for (key, v) in byOp.sorted(by: { $0.value.ms > $1.value.ms }) {
            lines.append("  " + pad(key, 36) + String(format: "  %5d", v.count) + " " + ms(v.ms) + String(format: " %6.1f", total > 0 ? 100 * v.ms / total : 0))
        }
        lines.append("  slowest nodes:")
        let slowest = zip(steps, profileNanos).sorted { $0.1 > $1.1 }.prefix(15)
        for (step, ns) in slowest {
            lines.append("  " + pad(step.node.label, 50) + " " + ms(Double(ns) / 1e6 / runs))
        }
        return lines.joined(separator: "\n")
    }
}

