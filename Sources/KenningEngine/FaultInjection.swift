import Foundation
import KenningBlocks
import KenningCore
import KenningModel

/// Test hooks that make a run crash, hang or run out of memory on purpose (`KENNING_TEST_FAULT=kind:pattern`,
/// applied when the model path contains `pattern`). Used by the engine's isolation tests.
enum FaultInjection {
    static func apply(_ specs: String, to modelPath: String) {
        for spec in specs.split(separator: ",") { applyOne(String(spec), to: modelPath) }
    }

    static func applyOne(_ spec: String, to modelPath: String) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, modelPath.contains(parts[1]) else { return }
        switch parts[0] {
        case "crash":
            kill(getpid(), SIGSEGV)
        case "hang":
            while true { sleep(60) }
        case "oom":
            var hog: [[UInt8]] = []
            while true { hog.append([UInt8](repeating: 1, count: 64 << 20)) }
        default:
            return
        }
    }
}
