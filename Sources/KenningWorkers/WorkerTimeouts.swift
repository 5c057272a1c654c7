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
