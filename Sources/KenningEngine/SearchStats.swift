import Synchronization

/// Counters for the progress line and the final summary, updated from the compile jobs' threads.
final class SearchStats: Sendable {
    struct Counters {
        var cacheHits = 0
        var compiled = 0
        var compileSeconds = 0.0
        var savedSeconds = 0.0
        var versions: [String: String] = [:]
    }

    private let counters = Mutex(Counters())

    /// Reads or updates the counters under the lock.
    func add<T>(_ f: (inout Counters) -> T) -> T { counters.withLock { f(&$0) } }

    var cacheHits: Int { add { $0.cacheHits } }
    var compiled: Int { add { $0.compiled } }
    var compileSeconds: Double { add { $0.compileSeconds } }
    var savedSeconds: Double { add { $0.savedSeconds } }
}
