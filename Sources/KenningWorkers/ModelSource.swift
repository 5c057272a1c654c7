/// How a model reaches a worker: its bytes through the protocol's MODEL message, or (extension, for a worker on this
/// machine) the path of the file, named in the IO spec's "model_file", which the worker reads itself.
public enum ModelSource: Sendable {
    case bytes([UInt8])
    case file(String)
}
