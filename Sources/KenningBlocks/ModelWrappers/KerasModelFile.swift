import Foundation
import KenningCore

/// What Kenning's keras model wrappers share: the model file's check and the split of a batch of class scores.
enum KerasModelFile {
    /// The artifact of the keras file at `path` with `io`, or a bad-input error that says where to put the file:
    /// Kenning's cache for a `kenning:///` resource (named `resource`), else `standIn` (how to make a local one).
    static func artifact(path: String, io: IOSpec, resource: String, standIn: String) throws(KenningError) -> ModelArtifact {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .badInput("keras model not found: \(path)", path: "$.parameters.model_path",
                            fix: path.hasPrefix(ResourceURI.cacheDirectory)
                                ? "put Kenning's \(resource) at \(path) (its cache, KENNING_CACHE_DIR), or point model_path at a local keras file"
                                : standIn)
        }
        return ModelArtifact(path: path, format: .keras, io: io)
    }

    /// Per-sample rows of the first output ([N, classes]).
    static func scoreRows(_ outputs: [Tensor]) throws(KenningError) -> [[Float]] {
        guard let out = outputs.first, let n = out.shape.first, n > 0, out.count % n == 0 else { throw .failure("the model returned no output") }
        let classes = out.count / n
        let v = out.floats
        return (0..<n).map { Array(v[($0 * classes)..<(($0 + 1) * classes)]) }
    }
}
