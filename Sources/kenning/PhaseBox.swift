import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

/// The stage a run is in, shared with the runner's callback.
final class PhaseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = "load"
    func set(_ v: String) { lock.lock(); value = v; lock.unlock() }
    func get() -> String { lock.lock(); defer { lock.unlock() }; return value }
}
