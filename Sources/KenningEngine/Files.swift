import Foundation
import KenningCore

/// File helpers: every result file is written to a temporary name and renamed into place.
public enum Files {
    public static func writeAtomically(_ text: String, to path: String) throws(KenningError) {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw .badInput("cannot write \(path): \(error.localizedDescription)", file: path, fix: "choose a writable output location")
        }
    }

    public static func writeJSON(_ value: JSONValue, to path: String, indent: Int = 4) throws(KenningError) {
        try writeAtomically(value.serialized(indent: indent) + "\n", to: path)
    }

    /// Fails early (bad input) when `directory` cannot be created or written.
    public static func ensureWritableDirectory(_ directory: String, for what: String) throws(KenningError) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir), !isDir.boolValue {
            throw .badInput("\(what) directory \(directory) is a file", file: directory, fix: "choose another output path")
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .badInput("cannot create the \(what) directory \(directory)", file: directory, fix: "choose a writable output path")
        }
        let probe = (directory as NSString).appendingPathComponent(".kenning-write-test-\(getpid())")
        guard fm.createFile(atPath: probe, contents: Data()) else {
            throw .badInput("the \(what) directory \(directory) is not writable", file: directory, fix: "choose a writable output path")
        }
        try? fm.removeItem(atPath: probe)
    }

    /// `dir/7_name.ext` for `dir/name.ext` (Kenning's per-run path prefix).
    public static func prefixed(_ path: String, id: Int) -> String {
        let ns = path as NSString
        let dir = ns.deletingLastPathComponent
        let name = "\(id)_" + ns.lastPathComponent
        return dir.isEmpty ? name : (dir as NSString).appendingPathComponent(name)
    }

    public static func copyReplacing(_ from: String, to: String) throws(KenningError) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: (to as NSString).deletingLastPathComponent.isEmpty ? "." : (to as NSString).deletingLastPathComponent,
                                   withIntermediateDirectories: true)
            if fm.fileExists(atPath: to) { try fm.removeItem(atPath: to) }
            try fm.copyItem(atPath: from, toPath: to)
        } catch {
            throw .badInput("cannot copy \(from) to \(to): \(error.localizedDescription)", file: to, fix: "check that save_model_path is writable")
        }
    }
}
