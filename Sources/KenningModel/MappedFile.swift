import Foundation

/// A file mapped read-only into memory: reading a part of it loads only that part's pages from the page cache, so a
/// walk over a large model's structure costs what the structure costs, not what its weights do.
final class MappedFile {
    let bytes: UnsafeBufferPointer<UInt8>

    /// Maps the file at `path`; nil when it cannot be opened or mapped (an empty file maps to no bytes).
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else { return nil }
        bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
