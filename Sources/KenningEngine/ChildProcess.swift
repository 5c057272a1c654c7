import Foundation
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs a child process in its own process group, its output in a log file, within a time limit; never leaves it running.
enum ChildProcess {
    /// How a child run ended.
    enum Result: Sendable {
        case exited(Int32, lastError: String?)
        case signaled(Int32)
        case timedOut
        case launchFailed(String)
    }

    /// Runs `executable` and waits for it (at most `timeout` seconds, then SIGTERM to its group, SIGKILL 5 s later).
    /// Blocks the calling thread; call it from a thread of its own, not from a task.
    static func run(executable: String, arguments: [String], logPath: String, timeout: Double,
                    environment: [String: String]? = nil) -> Result {
        let outcome = Mutex<Result?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            let result = await launch(executable: executable, arguments: arguments, logPath: logPath, timeout: timeout,
                                      environment: environment)
            outcome.withLock { $0 = result }
            finished.signal()
        }
        finished.wait()
        return outcome.withLock { $0 } ?? .launchFailed("cannot start \(executable)")
    }

    private static func launch(executable: String, arguments: [String], logPath: String, timeout: Double,
                               environment: [String: String]?) async -> Result {
        let log: FileDescriptor
        do {
            log = try FileDescriptor.open(FilePath(logPath), .writeOnly, options: [.create, .truncate, .closeOnExec],
                                          permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            return .launchFailed("cannot write the log \(logPath): \(error)")
        }
        let options = {
            var options = PlatformOptions()
            options.processGroupID = 0
            options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(5))]
            return options
        }()
        let env: Subprocess.Environment = environment.map { vars in
            .custom(Dictionary(uniqueKeysWithValues: vars.compactMap { k, v in Subprocess.Environment.Key(rawValue: k).map { ($0, v) } }))
        } ?? .inherit
        let status: TerminationStatus?
        do {
            status = try await withThrowingTaskGroup(of: TerminationStatus?.self) { group in
                group.addTask {
                    try await Subprocess.run(.path(FilePath(executable)), arguments: Arguments(arguments), environment: env,
                                             platformOptions: options, input: .none,
                                             output: .fileDescriptor(log, closeAfterSpawningProcess: true),
                                             error: .combinedWithOutput).terminationStatus
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(timeout))
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()   // a time-out cancels the run, whose teardown stops the child's group
                return first
            }
        } catch {
            try? log.close()
            return .launchFailed("cannot start \(executable): \(error)")
        }
        switch status {
        case nil: return .timedOut
        case .signaled(let signal)?: return .signaled(signal)
        case .exited(let code)?: return .exited(code, lastError: lastError(inLog: logPath))
        }
    }

    /// The last `error:` line of a log and up to three lines after it, on one line.
    static func lastError(inLog path: String) -> String? {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").map(String.init)
        return lines.lastIndex { $0.hasPrefix("error:") }.map { i in
            lines[i...].prefix(4).joined(separator: " ").replacingOccurrences(of: "    ", with: " ")
        }
    }
}
