import Foundation
import KenningCore

/// Time limits for one worker (seconds). `KENNING_WORKER_TIMEOUT` overrides the request limit.
public struct WorkerTimeouts: Sendable {
    public var start: Double
    public var request: Double
    public var compile: Double

    public init(start: Double = 120, request: Double = 120, compile: Double = 1800, ignoreEnvironment: Bool = false) {
        self.start = start
        let env = ignoreEnvironment ? nil : ProcessInfo.processInfo.environment["KENNING_WORKER_TIMEOUT"].flatMap(Double.init)
        self.request = env ?? request
        self.compile = env ?? compile
    }
}

/// A running framework worker with an open protocol connection. Owned by one task; stopped on `stop()` or deinit.
public final class FrameworkWorker {
    public let framework: String
    public let process: WorkerProcess
    let client: ProtocolClient
    public let timeouts: WorkerTimeouts
    private var failed = false

    /// Starts `python -m kenning_worker --framework F`, connects, reads the greeting and PINGs it.
    public init(framework: String, timeouts: WorkerTimeouts = WorkerTimeouts(), environment: [String: String] = [:]) throws(KenningError) {
        self.framework = framework
        self.timeouts = timeouts
        process = try WorkerProcess(framework: framework, startTimeout: timeouts.start, extraEnvironment: environment)
        do {
            let connection = try TCPConnection(host: "127.0.0.1", port: process.port, timeout: 10)
            client = ProtocolClient(connection: connection)
            try client.awaitGreeting(timeout: 10)
            try client.upload(.ping, timeout: 10)
        } catch let e as TCPConnection.Failure {
            let err = Self.error(framework: framework, process: process, doing: "connecting", detail: e.description)
            process.stop()
            throw err
        } catch let e as ProtocolClient.Failure {
            let err = Self.error(framework: framework, process: process, doing: "the health check (PING)", detail: e.description)
            process.stop()
            throw err
        } catch {
            process.stop()
            throw .failure("the \(framework) worker: \(error)")
        }
    }

    deinit { stop() }

    public func stop() {
        client.close()
        process.stop()
        if !failed { process.removeLog() }
    }

    static func error(framework: String, process: WorkerProcess, doing: String, detail: String) -> KenningError {
        var what = "the \(framework) worker failed during \(doing): \(detail)"
        // A closed connection usually means the worker just died: give it a moment to be reaped, to say how.
        for _ in 0..<50 where process.isRunning { usleep(20_000) }
        if !process.isRunning { what += " (the worker \(process.exitDescription ?? "exited"))" }
        return .failure(what + process.logTail(), fix: "see the worker log \(process.logPath)")
    }

    private func fail(_ doing: String, _ f: ProtocolClient.Failure) -> KenningError {
        failed = true
        let err: KenningError
        if case let .refused(type, reason) = f {
            err = .failure("the \(framework) worker could not do \(type): \(reason.isEmpty ? "no reason given" : reason)",
                           fix: "see the worker log \(process.logPath)")
        } else {
            err = Self.error(framework: framework, process: process, doing: doing, detail: f.description)
        }
        // A worker that hung, crashed or spoke garbage is not trusted again.
        if case .refused = f {} else { client.close(); process.stop(grace: 0) }
        return err
    }

    public func upload(_ type: MessageType, _ payload: [UInt8] = [], timeout: Double? = nil) throws(KenningError) {
        do { try client.upload(type, payload: payload, timeout: timeout ?? timeouts.request) } catch { throw fail("\(type)", error) }
    }

    public func download(_ type: MessageType, timeout: Double? = nil) throws(KenningError) -> [UInt8] {
        do { return try client.download(type, timeout: timeout ?? timeouts.request) } catch { throw fail("\(type)", error) }
    }

    public func uploadJSON(_ type: MessageType, _ value: JSONValue) throws(KenningError) {
        try upload(type, Array(value.serialized(indent: nil).utf8))
    }

    /// Kenning's IO spec JSON, with the runtime block's settings under the extension key "runtime".
    public static func ioSpecJSON(_ io: IOSpec, runtime: (type: String, parameters: JSONValue)? = nil) -> JSONValue {
        var json = io.json
        if let runtime {
            json = json.setting("runtime", to: .object([("type", .string(runtime.type)), ("parameters", runtime.parameters)]))
        }
        return json
    }
}

/// Raw tensor bytes as the protocol carries them (concatenated, little-endian, in IO-spec order and dtype).
public enum TensorBytes {
    public static func encode(_ tensors: [Tensor], specs: [TensorSpec]) throws(KenningError) -> [UInt8] {
        var out: [UInt8] = []
        for (i, t) in tensors.enumerated() {
            let type = i < specs.count ? specs[i].elementType : t.elementType
            switch type {
            case .float32: t.floats.forEach { append(&out, $0.bitPattern) }
            case .float64: t.floats.forEach { append(&out, Double($0).bitPattern) }
            case .float16: t.floats.forEach { append(&out, $0.halfBits) }
            case .int64: t.ints.forEach { append(&out, UInt64(bitPattern: $0)) }
            case .int32: t.ints.forEach { append(&out, UInt32(bitPattern: Int32(truncatingIfNeeded: $0))) }
            case .int8: t.ints.forEach { out.append(UInt8(bitPattern: Int8(truncatingIfNeeded: $0))) }
            case .uint8: t.ints.forEach { out.append(UInt8(truncatingIfNeeded: $0)) }
            default: throw .failure("inputs of type \(type) cannot be sent to a worker")
            }
        }
        return out
    }

    static func append<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    static func size(_ t: ElementType) -> Int {
        switch t {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .int16, .uint16: return 2
        default: return 1
        }
    }

    /// Splits an OUTPUT payload per output spec; unknown dims become `batch`, and a last unknown is solved from the size.
    public static func decode(_ bytes: [UInt8], specs: [TensorSpec], batch: Int) throws(KenningError) -> [Tensor] {
        var out: [Tensor] = []
        var offset = 0
        for (i, spec) in specs.enumerated() {
            let width = size(spec.elementType)
            var shape = spec.shape.isEmpty ? [] : [spec.shape[0] < 0 ? batch : spec.shape[0]] + spec.shape.dropFirst()
            if let u = shape.firstIndex(of: -1) {
                guard i == specs.count - 1 else { throw .failure("output \(spec.name) has an unknown dimension; cannot split the worker's output") }
                let known = shape.filter { $0 > 0 }.reduce(1, *)
                shape[u] = (bytes.count - offset) / width / max(known, 1)
            }
            let count = shape.reduce(1, *)
            guard offset + count * width <= bytes.count else {
                throw .failure("the worker returned \(bytes.count) output bytes; output \(spec.name) \(shape) of \(spec.elementType) needs \(offset + count * width)")
            }
            let slice = Array(bytes[offset..<(offset + count * width)])
            offset += count * width
            out.append(slice.withUnsafeBytes { raw -> Tensor in
                func load<T: FixedWidthInteger>(_: T.Type, _ k: Int) -> T { T(littleEndian: raw.loadUnaligned(fromByteOffset: k * MemoryLayout<T>.size, as: T.self)) }
                switch spec.elementType {
                case .float32: return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
                case .float64: return Tensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) })
                case .float16: return Tensor(shape: shape, floats: (0..<count).map { Float(halfBits: load(UInt16.self, $0)) })
                case .int64: return Tensor(shape: shape, ints: (0..<count).map { Int64(bitPattern: load(UInt64.self, $0)) })
                case .int32: return Tensor(shape: shape, ints: (0..<count).map { Int64(Int32(bitPattern: load(UInt32.self, $0))) })
                case .int8: return Tensor(shape: shape, ints: (0..<count).map { Int64(Int8(bitPattern: raw[$0])) })
                default: return Tensor(shape: shape, ints: (0..<count).map { Int64(raw[$0]) })
                }
            })
        }
        guard offset == bytes.count else { throw .failure("the worker returned \(bytes.count - offset) unexpected extra output bytes") }
        return out
    }
}

/// An inference session whose model runs in a worker. Timing comes from the worker (STATS), never from the socket.
public final class WorkerInferenceSession: InferenceSession {
    public let worker: FrameworkWorker
    public let io: IOSpec
    public private(set) var lastInferenceSeconds: Double?

    /// Starts a worker, sends the IO spec (with the runtime's parameters) and the model.
    public init(framework: String, runtimeType: String, parameters: JSONValue, io: IOSpec, modelBytes: [UInt8],
                timeouts: WorkerTimeouts = WorkerTimeouts(), environment: [String: String]? = nil) throws(KenningError)
    {
        // KENNING_TEST_WORKER_FAULT=crash|hang|garbage makes the worker misbehave at PROCESS (tests of the failure paths).
        let env = environment ?? ProcessInfo.processInfo.environment["KENNING_TEST_WORKER_FAULT"].map { ["KENNING_WORKER_FAULT": $0] } ?? [:]
        worker = try FrameworkWorker(framework: framework, timeouts: timeouts, environment: env)
        self.io = io
        try worker.uploadJSON(.ioSpec, FrameworkWorker.ioSpecJSON(io, runtime: (runtimeType, parameters)))
        try worker.upload(.model, modelBytes, timeout: timeouts.compile)
    }

    deinit { worker.stop() }

    public func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor] {
        lastInferenceSeconds = nil
        try worker.upload(.data, TensorBytes.encode(inputs, specs: io.inputs))
        try worker.upload(.process)
        let bytes = try worker.download(.output)
        let stats = try worker.download(.stats)
        guard let json = try? JSONValue.parse(String(decoding: stats, as: UTF8.self)),
              let steps = json["target_inference_step"]?.arrayValue?.compactMap(\.doubleValue), !steps.isEmpty else {
            throw .failure("the \(worker.framework) worker's STATS has no target_inference_step", fix: "see the worker log \(worker.process.logPath)")
        }
        lastInferenceSeconds = steps.reduce(0, +)
        return try TensorBytes.decode(bytes, specs: io.outputs, batch: inputs.first?.shape.first ?? 1)
    }
}

/// Compilation as worker requests: IO_SPEC, calibration DATA, OPTIMIZERS, UNOPTIMIZED_MODEL, OPTIMIZE_MODEL.
public enum WorkerCompilation {
    /// Runs optimizer `type` with `parameters` in a `framework` worker; the worker writes the artifact at the
    /// parameters' `compiled_model_path` (the host writes the returned bytes when the worker could not).
    @discardableResult
    public static func compile(framework: String, type: String, parameters: JSONValue, model: [UInt8], io: IOSpec,
                               calibration: [[Tensor]] = [], timeouts: WorkerTimeouts = WorkerTimeouts()) throws(KenningError) -> [UInt8]
    {
        let worker = try FrameworkWorker(framework: framework, timeouts: timeouts)
        defer { worker.stop() }
        try worker.uploadJSON(.ioSpec, FrameworkWorker.ioSpecJSON(io))
        for batch in calibration { try worker.upload(.data, TensorBytes.encode(batch, specs: io.inputs)) }
        try worker.uploadJSON(.optimizers, .object([("optimizers", .array([.object([("type", .string(type)), ("parameters", parameters)])]))]))
        try worker.upload(.unoptimizedModel, model, timeout: timeouts.compile)
        return try worker.download(.optimizeModel, timeout: timeouts.compile)
    }
}
