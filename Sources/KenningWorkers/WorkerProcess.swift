#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KenningCore

#if canImport(Glibc)
#endif

/// A worker process: started in its own process group (so it and anything it spawns can be stopped together),
/// its stdin a pipe the host holds (the worker exits when it reads EOF, i.e. when the host dies), its output in a log.
/// A pooled worker (``WorkerPool``) instead lives as long as its owner process, and a later run adopts it.
public final class WorkerProcess {
    public let framework: String
    public let pid: pid_t
    public let logPath: String
    public private(set) var port: Int = 0
    /// The worker's scratch folder (port file, model copies); removed when the worker stops.
    public let workdir: String
    private var stdinFD: Int32
    private var reaped = false
    private var stopped = false
    /// Started by another run of the pool: not this process's child, so it is watched with signal 0, not waitid.
    private let adopted: Bool
    /// Left running when this object goes away (a pooled worker that is still healthy).
    var keepsRunning = false
    public private(set) var exitDescription: String?

    /// A pooled worker another run started.
    init(adopting record: WorkerPool.Record, framework: String) {
        self.framework = framework
        pid = record.pid
        port = record.port
        logPath = record.logPath
        workdir = record.workdir
        stdinFD = -1
        adopted = true
    }

    /// The pool's record of this worker.
    var record: WorkerPool.Record { WorkerPool.Record(pid: pid, port: port, logPath: logPath, workdir: workdir) }

    /// Starts a worker. With `owner`, the worker outlives this process: it exits when `owner` does (or after an idle
    /// time), not when this process closes its stdin.
    public init(framework: String, startTimeout: Double, extraEnvironment: [String: String] = [:], owner: pid_t? = nil) throws(KenningError) {
        adopted = false
        self.framework = framework
        if let reason = WorkerEnvironment.unavailableReason(for: framework) {
            throw .failure("cannot start the \(framework) worker: \(reason)",
                           fix: framework == "tensorflow" ? "run scripts/setup-frameworks --with-tensorflow" : "run scripts/setup-frameworks")
        }
        let python = WorkerEnvironment.python(for: framework)!, root = WorkerEnvironment.root!
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let tmp = NSTemporaryDirectory()
        logPath = (tmp as NSString).appendingPathComponent("kenning-worker-\(framework)-\(tag).log")
        workdir = (tmp as NSString).appendingPathComponent("kenning-worker-\(framework)-\(tag)")
        try? FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        let portFile = (workdir as NSString).appendingPathComponent("port")

        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw .failure("cannot create a pipe: \(String(cString: strerror(errno)))") }
        // Close-on-exec, so only this worker (through the dup2 below) holds the read end and only the host the write end.
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logFD >= 0 else {
            close(pipeFDs[0]); close(pipeFDs[1])
            throw .failure("cannot write the worker log \(logPath)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        if owner == nil {
            posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attr, &noSignals)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var args = [python, "-m", "kenning_worker", "--port", "0", "--framework", framework, "--port-file", portFile, "--workdir", workdir]
        if let owner { args += ["--owner-pid", String(owner), "--idle-timeout", "300"] }
        var env = ProcessInfo.processInfo.environment
        env["PYTHONPATH"] = root + "/workers/python" + (env["PYTHONPATH"].map { ":" + $0 } ?? "")
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        // numpy's OpenBLAS would start a thread pool that spins beside the framework's own threads: one thread, unless
        // the user chose otherwise.
        env["OPENBLAS_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] ?? "1"
        for (k, v) in extraEnvironment { env[k] = v }
        let cArgs = args.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var child: pid_t = 0
        let rc = posix_spawn(&child, python, &actions, &attr, cArgs, cEnv)
        cArgs.forEach { free($0) }
        cEnv.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attr)
        close(pipeFDs[0])
        close(logFD)
        guard rc == 0 else {
            close(pipeFDs[1])
            throw .failure("cannot start \(python): \(String(cString: strerror(rc)))", fix: "run scripts/setup-frameworks")
        }
        pid = child
        stdinFD = pipeFDs[1]

        // Wait for the port file, watching for an early exit (import errors and the like).
        let deadline = Date().addingTimeInterval(startTimeout)
        while true {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                port = p
                break
            }
            if !isRunning {
                let why = exitDescription ?? "exited"
                stop()
                throw .failure("the \(framework) worker \(why) while starting\(logTail())", fix: "see \(logPath); run scripts/setup-frameworks")
            }
            if Date() > deadline {
                stop()
                throw .failure("the \(framework) worker did not start within \(Int(startTimeout)) s\(logTail())", fix: "see \(logPath)")
            }
            usleep(20_000)
        }
    }

    deinit { if !keepsRunning { stop() } }

    /// Whether the process still runs. An ended worker is left unreaped (a zombie) until `stop()`, so its process
    /// group id cannot be reused before the group is swept.
    public var isRunning: Bool {
        if reaped { return false }
        if adopted {
            // Not our child, so no waitid: a process that is gone or a zombie no longer runs.
            guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            let state = fields.first?.first
            if state == "Z", exitDescription == nil, fields.count >= 50, let status = Int32(fields[fields.count - 1].trimmingCharacters(in: .whitespacesAndNewlines)) {
                // A zombie's wait status is the last field of its stat line (Linux 3.5+): how it ended, without waiting.
                exitDescription = status & 0x7F == 0 ? "exited with status \((status >> 8) & 0xFF)" : Self.describe(status & 0x7F)
            }
            return state != "Z" && state != "X"
        }
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return false }
        let child = info._sifields._sigchld
        if child.si_pid == 0 { return true }
        if exitDescription == nil {
            exitDescription = info.si_code == CLD_EXITED ? "exited with status \(child.si_status)" : Self.describe(child.si_status)
        }
        return false
    }

    /// The worker's resident memory now (VmRSS), nil when it cannot be read.
    public var residentBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kb * 1024
    }

    /// How a signal ended the worker.
    static func describe(_ sig: Int32) -> String {
        "was killed by signal \(sig)\(sig == SIGKILL ? " (SIGKILL: out of memory or killed)" : sig == SIGSEGV ? " (SIGSEGV: crashed)" : "")"
    }

    /// Stops the worker and its whole process group; waits for it so no zombie is left.
    public func stop(grace: Double = 2) {
        // Once only: after the reap the process group id may be reused by an unrelated process.
        guard !stopped else { return }
        stopped = true
        if stdinFD >= 0 {
            close(stdinFD)      // the worker exits on EOF
            stdinFD = -1
        }
        var waited = 0.0
        while isRunning, waited < grace {
            usleep(10_000)
            waited += 0.01
        }
        if isRunning {
            kill(-pid, SIGTERM)
            waited = 0
            while isRunning, waited < 1 {
                usleep(10_000)
                waited += 0.01
            }
        }
        kill(-pid, SIGKILL)     // also sweeps anything the worker left in its group (the leader is not reaped yet)
        if adopted {
            // Reaped here when this process is its subreaper (``WorkerPool/adoptOrphans()``), else by its parent or init.
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            reaped = true
        }
        if !reaped {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            if exitDescription == nil {
                exitDescription = status & 0x7F == 0 ? "exited with status \((status >> 8) & 0xFF)" : Self.describe(status & 0x7F)
            }
            reaped = true
        }
        try? FileManager.default.removeItem(atPath: workdir)
    }

    /// The last lines of the worker's log, formatted for an error message ("" when empty).
    public func logTail(lines: Int = 12) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "" }
        let tail = text.split(separator: "\n").suffix(lines).map { "      | " + $0 }.joined(separator: "\n")
        return tail.isEmpty ? "" : "; worker log:\n" + tail
    }

    public func removeLog() { unlink(logPath) }
}
