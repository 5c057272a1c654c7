import Foundation
import KenningCore

public enum KenningVersion {
    public static let current = "0.1.0"
}

/// Writes Kenning's IO-specification side file `<model>.json`.
public enum IOSpecFile {
    public static func write(_ io: IOSpec, nextTo modelPath: String) throws(KenningError) {
        let path = modelPath + ".json"
        do {
            try Data((io.json.serialized(indent: 4) + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .badInput("cannot write \(path): \(error.localizedDescription)", file: path, fix: "choose a writable directory")
        }
    }
}

extension BlockRegistry {
    /// Every block built into swift-kenning.
    public static let builtIn = BlockRegistry([
        BlockEntry(DigitsDataset.description, maker: .dataset { p throws(KenningError) in try DigitsDataset(p) }),
        BlockEntry(RandomizedClassificationDataset.description, maker: .dataset { p throws(KenningError) in try RandomizedClassificationDataset(p) }),
        BlockEntry(ONNXImageClassifier.description, maker: .modelWrapper { p throws(KenningError) in try ONNXImageClassifier(p) }),
        BlockEntry(NativeGraphOptimizer.description, maker: .optimizer { p throws(KenningError) in try NativeGraphOptimizer(p) }),
        BlockEntry(NativeQuantizer.description, maker: .optimizer { p throws(KenningError) in try NativeQuantizer(p) }),
        BlockEntry(NativeRuntime.description, maker: .runtime { p throws(KenningError) in try NativeRuntime(p) }),
    ])
}
