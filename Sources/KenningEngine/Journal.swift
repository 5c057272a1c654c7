import Foundation
import KenningCore

/// Append-only record of finished runs, one JSON object per line, flushed to disk (fsync) after each record.
/// A line cut short by a crash or power loss is ignored when the journal is read back.
public final class Journal {
    public let path: String
    private let fd: Int32

    /// Opens the journal; without `resume` an earlier journal is started anew.
    public init(path: String, resume: Bool) throws(KenningError) {
        self.path = path
        let flags = O_WRONLY | O_CREAT | O_APPEND | (resume ? 0 : O_TRUNC)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            throw .badInput("cannot open the journal \(path)", file: path, fix: "choose a writable output location")
        }
        self.fd = fd
        if resume { repairTail() }
    }

    deinit { close(fd) }

    /// Ends a torn last line so the next record starts on a line of its own.
    private func repairTail() {
        guard let data = FileManager.default.contents(atPath: path), let last = data.last, last != UInt8(ascii: "\n") else { return }
        _ = "\n".withCString { write(fd, $0, 1) }
        fsync(fd)
    }

    public func append(_ record: JSONValue) {
        let line = record.serialized(indent: nil) + "\n"
        line.withCString { ptr in
            var offset = 0
            let count = strlen(ptr)
            while offset < count {
                let n = write(fd, ptr + offset, count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
        fsync(fd)
    }

    /// Records of a journal file, skipping a damaged last line.
    public static func read(_ path: String) -> [JSONValue] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
    }
}
