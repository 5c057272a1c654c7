import Foundation
import KenningBlocks
import KenningCore

/// Counters for the progress line and the final summary.
final class SearchStats: @unchecked Sendable {
    private let lock = NSLock()
    var cacheHits = 0
    var compiled = 0
    var compileSeconds = 0.0
    var savedSeconds = 0.0
    var versions: [String: String] = [:]
    func add(_ f: (SearchStats) -> Void) { lock.lock(); f(self); lock.unlock() }
}
