#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KenningCore

/// Where the framework workers live: the repository's `workers/python` and the venv `scripts/setup-frameworks` makes.
public enum WorkerEnvironment {
    /// The repository root: `$KENNING_ROOT`, else the first folder holding `workers/python/kenning_worker`, searched
    /// upwards from the current directory, the executable and this source file.
    public static let root: String? = {
        let fm = FileManager.default
        func holds(_ dir: String) -> Bool { fm.fileExists(atPath: dir + "/workers/python/kenning_worker/__main__.py") }
        if let r = ProcessInfo.processInfo.environment["KENNING_ROOT"], holds(r) { return r }
        var starts = [fm.currentDirectoryPath]
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") { starts.append((exe as NSString).deletingLastPathComponent) }
        starts.append((#filePath as NSString).deletingLastPathComponent)
        for start in starts {
            var dir = (start as NSString).standardizingPath
            while true {
                if holds(dir) { return dir }
                let up = (dir as NSString).deletingLastPathComponent
                if up == dir || up.isEmpty { break }
                dir = up
            }
        }
        return nil
    }()

    public static var venv: String? {
        if let v = ProcessInfo.processInfo.environment["KENNING_FRAMEWORKS_VENV"] { return v }
        return root.map { $0 + "/.venv-frameworks" }
    }

    public static var python: String? { venv.map { $0 + "/bin/python" } }

    /// The venv of the `tensorflow` worker (keras models: TensorFlow's TFLite converter, tf2onnx): `.venv-tf`
    /// (`scripts/setup-frameworks --with-tensorflow`), else the onnx2tf venv, which holds TensorFlow and tf2onnx too.
    public static var tensorflowVenv: String? {
        if let v = ProcessInfo.processInfo.environment["KENNING_TENSORFLOW_VENV"] { return v }
        guard let root else { return nil }
        let own = root + "/.venv-tf"
        if FileManager.default.isExecutableFile(atPath: own + "/bin/python") { return own }
        if let other = onnx2tfVenv, FileManager.default.isExecutableFile(atPath: other + "/bin/python") { return other }
        return own
    }

    /// The TensorFlow package and version the `tensorflow` worker runs ("tensorflow-cpu 2.21.0"), nil when absent.
    public static var tensorflowPackage: String? {
        for name in ["tensorflow-cpu", "tensorflow"] { if let v = tensorflowVersions[name] { return "\(name) \(v)" } }
        return nil
    }

    /// The optional onnx2tf venv (`scripts/setup-frameworks --with-onnx2tf`), used by the `onnx2tf` worker.
    public static var onnx2tfVenv: String? {
        if let v = ProcessInfo.processInfo.environment["KENNING_ONNX2TF_VENV"] { return v }
        return root.map { $0 + "/.venv-onnx2tf" }
    }

    /// The interpreter a framework's worker runs in.
    public static func python(for framework: String) -> String? {
        switch framework {
        case "tensorflow": return tensorflowVenv.map { $0 + "/bin/python" }
        case "onnx2tf": return onnx2tfVenv.map { $0 + "/bin/python" }
        default: return python
        }
    }

    /// Package versions of the TensorFlow venv (`<venv-tf>/versions.json`).
    public static let tensorflowVersions: [String: String] = {
        guard let v = tensorflowVenv, let data = FileManager.default.contents(atPath: v + "/versions.json"),
              let json = try? JSONValue.parse(String(decoding: data, as: UTF8.self)), let pairs = json.objectPairs else { return [:] }
        return Dictionary(pairs.compactMap { k, v in v.stringValue.map { (k, $0) } }, uniquingKeysWith: { a, _ in a })
    }()

    /// Package versions recorded by `scripts/setup-frameworks` (`<venv>/versions.json`).
    public static let versions: [String: String] = {
        guard let v = venv, let data = FileManager.default.contents(atPath: v + "/versions.json"),
              let json = try? JSONValue.parse(String(decoding: data, as: UTF8.self)), let pairs = json.objectPairs else { return [:] }
        return Dictionary(pairs.compactMap { k, v in v.stringValue.map { (k, $0) } }, uniquingKeysWith: { a, _ in a })
    }()

    /// Why workers cannot start here, or nil.
    public static var unavailableReason: String? { unavailableReason(for: "onnxruntime") }

    /// Why `framework`'s worker cannot start here, or nil.
    public static func unavailableReason(for framework: String) -> String? {
        guard let root else { return "cannot find the workers (workers/python/kenning_worker); set KENNING_ROOT to the repository" }
        guard let python = python(for: framework), FileManager.default.isExecutableFile(atPath: python) else {
            switch framework {
            case "tensorflow":
                return "neither the TensorFlow venv \(root)/.venv-tf nor the onnx2tf venv exists (they are optional: scripts/setup-frameworks --with-onnx2tf)"
            case "onnx2tf":
                return "the onnx2tf venv \(onnx2tfVenv ?? root + "/.venv-onnx2tf") does not exist (it is optional: scripts/setup-frameworks --with-onnx2tf)"
            default:
                return "the framework venv \(venv ?? root + "/.venv-frameworks") does not exist"
            }
        }
        return nil
    }
}
