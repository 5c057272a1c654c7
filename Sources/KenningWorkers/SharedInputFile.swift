import Foundation
import KenningCore
import Synchronization

/// A file in shared memory that carries a streamed chunk's inputs to a worker on this machine (extension: the IO spec's
/// "input_file"); DATA then holds only the set count and the byte length. The worker maps the same file, so a chunk
/// costs one copy into the mapping instead of a copy into messages, the socket both ways and a join in the worker.
///
/// Created with mode 0600 under /dev/shm (the temporary folder where that is missing) and grown as chunks need. A
/// pooled worker's file belongs to its pool slot and outlives the run, so the next run finds its pages in place (the
/// pool's shutdown removes it); a private worker's file is removed with the session.
final class SharedInputFile {
    let path: String
    private let fd: Int32
    private let keep: Bool
    private var mapping: UnsafeMutableRawBufferPointer?

    private static let counter = Atomic<Int>(0)

    /// The file of the pool slot whose record is at `recordPath`.
    static func path(forSlot recordPath: String) -> String {
        let hash = FNV1a.hash(recordPath)
        return (folder as NSString).appendingPathComponent("kenning-inputs-\(String(hash, radix: 16))")
    }

    private static var folder: String { FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory() }

    /// The slot's file when `slot` names a pool slot's record, else a new private file.
    init(slot: String?) throws(KenningError) {
        keep = slot != nil
        path = slot.map(Self.path(forSlot:))
            ?? (Self.folder as NSString).appendingPathComponent("kenning-inputs-\(getpid())-\(Self.counter.add(1, ordering: .relaxed).newValue)")
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (keep ? 0 : O_EXCL), 0o600)
        guard fd >= 0 else {
            throw .failure("cannot create the shared input file \(path): \(String(cString: strerror(errno)))",
                           fix: "check that /dev/shm (or the temporary folder) is writable")
        }
    }

    deinit {
        if let m = mapping { munmap(m.baseAddress, m.count) }
        close(fd)
        if !keep { unlink(path) }
    }

    /// Writes the input sets one after another at the start of the file, growing it first when it is too small;
    /// returns their byte length.
    func write(_ sets: [[Tensor]], specs: [TensorSpec]) throws(KenningError) -> Int {
        let total = sets.reduce(0) { $0 + TensorBytes.encodedSize($1, specs: specs) }
        let size = try reserve(total)
        var offset = 0
        for inputs in sets { offset += try TensorBytes.encode(inputs, specs: specs, to: size.baseAddress! + offset) }
        return offset
    }

    private func reserve(_ bytes: Int) throws(KenningError) -> UnsafeMutableRawBufferPointer {
        if let m = mapping, m.count >= bytes { return m }
        if let m = mapping { munmap(m.baseAddress, m.count) }
        mapping = nil
        var info = stat()
        let current = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        // Grown in whole megabytes, so a chunk a little larger than the last does not remap; mapped with its pages in
        // place (MAP_POPULATE) rather than faulted in one by one as the first chunk is written.
        let size = max(current, (max(bytes, 1) + (1 << 20) - 1) & ~((1 << 20) - 1))
        guard size == current || ftruncate(fd, off_t(size)) == 0,
              let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0), base != MAP_FAILED
        else {
            throw .failure("cannot grow the shared input file \(path) to \(size) bytes: \(String(cString: strerror(errno)))",
                           fix: "free space in /dev/shm")
        }
        let m = UnsafeMutableRawBufferPointer(start: base, count: size)
        mapping = m
        return m
    }
}
