#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KenningCore

/// Framework workers that outlive one run. A search's measurement runs, one at a time, take turns on the same
/// worker instead of each starting Python and importing its framework (0.2–1 s a run). The search (the owner)
/// names a folder in `KENNING_WORKER_POOL` and its process id in `KENNING_WORKER_POOL_OWNER`; a run takes a worker
/// under an exclusive lock, and a pooled worker exits when its owner does. A worker that failed is never handed on.
public enum WorkerPool {
    public static let folderVariable = "KENNING_WORKER_POOL"
    public static let ownerVariable = "KENNING_WORKER_POOL_OWNER"

    /// What a later run needs to adopt a pooled worker.
    struct Record: Codable {
        var pid: pid_t
        var port: Int
        var logPath: String
        var workdir: String
    }

    /// Where a pool lives and whose lifetime its workers share.
    public struct Location: Sendable {
        public var folder: String
        public var owner: pid_t

        public init(folder: String, owner: pid_t) {
            self.folder = folder
            self.owner = owner
        }
    }

    /// The pool this process may use, from its environment (nil: start private workers).
    public static var current: Location? {
        let env = ProcessInfo.processInfo.environment
        guard let folder = env[folderVariable], !folder.isEmpty, let owner = env[ownerVariable].flatMap({ pid_t($0) }), kill(owner, 0) == 0 else {
            return nil
        }
        return Location(folder: folder, owner: owner)
    }

    /// A worker slot held by this process: the lock (released when closed) and where its record lives.
    final class Lease {
        let lockFD: Int32
        let recordPath: String
        let owner: pid_t

        init(lockFD: Int32, recordPath: String, owner: pid_t) {
            self.lockFD = lockFD
            self.recordPath = recordPath
            self.owner = owner
        }

        deinit { close(lockFD) }

        var record: Record? {
            FileManager.default.contents(atPath: recordPath).flatMap { try? JSONDecoder().decode(Record.self, from: $0) }
        }

        func publish(_ record: Record) {
            guard let data = try? JSONEncoder().encode(record) else { return }
            try? data.write(to: URL(fileURLWithPath: recordPath), options: .atomic)
        }

        func forget() {
            unlink(recordPath)
            unlink(SharedInputFile.path(forSlot: recordPath))
        }
    }

    /// Takes the pool's slot for `key` (framework and process-wide settings), or nil when there is no pool or another
    /// run holds it. While the owner is starting that slot's worker ahead (``startAhead(framework:key:in:)``), waits
    /// for it, up to `wait` seconds.
    static func lease(key: String, in pool: Location?, wait: Double = 60) -> Lease? {
        guard let pool, kill(pool.owner, 0) == 0 else { return nil }
        try? FileManager.default.createDirectory(atPath: pool.folder, withIntermediateDirectories: true)
        let base = (pool.folder as NSString).appendingPathComponent(key)
        let fd = open(base + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard FileManager.default.fileExists(atPath: base + ".starting"), Date() < deadline else {
                close(fd)
                return nil
            }
            usleep(5_000)
        }
        return Lease(lockFD: fd, recordPath: base + ".json", owner: pool.owner)
    }

    /// Starts the worker of slot `key` in the background and leaves it in the pool, so the first run that needs it
    /// finds it ready; a run that asks meanwhile waits for it. Returns a wait for the start to end. A worker that
    /// cannot start is left to that run, which starts its own and reports why it failed.
    public static func startAhead(framework: String, key: String, in pool: Location) -> @Sendable () -> Void {
        try? FileManager.default.createDirectory(atPath: pool.folder, withIntermediateDirectories: true)
        let marker = (pool.folder as NSString).appendingPathComponent(key) + ".starting"
        FileManager.default.createFile(atPath: marker, contents: nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            if let worker = try? FrameworkWorker(framework: framework, poolKey: key, pool: pool, waitForSlot: 0) { worker.stop() }
            unlink(marker)
            done.signal()
        }
        return {
            done.wait()
            done.signal()
        }
    }

    /// Makes this process (the pool's owner) the subreaper of the pooled workers, so a worker whose starting run has
    /// ended is reparented here and reaped at ``shutdown(folder:)`` rather than left a zombie of an init that may not reap.
    public static func adoptOrphans() {
        // prctl is variadic in C, so Swift does not import it: call it through its symbol. 36 is PR_SET_CHILD_SUBREAPER.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(nil, "prctl") else { return }
        _ = unsafeBitCast(symbol, to: Prctl.self)(36, 1, 0, 0, 0)
    }

    /// Stops every worker of the pool in `folder` and removes the folder (the owner calls it when its search ends).
    public static func shutdown(folder: String) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".json") {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let data = fm.contents(atPath: path), let r = try? JSONDecoder().decode(Record.self, from: data) else { continue }
            WorkerProcess(adopting: r, framework: String(name.dropLast(5))).stop(grace: 0)
            unlink(r.logPath)
            unlink(SharedInputFile.path(forSlot: path))
        }
        try? fm.removeItem(atPath: folder)
    }
}
