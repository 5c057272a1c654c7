import Foundation

/// Runs a child process with its output in a log file and a time limit; never leaves it running.
enum ChildProcess {
    enum Result {
        case exited(Int32, lastError: String?)
        case signaled(Int32)
        case timedOut
        case launchFailed(String)
    }

    static func run(executable: String, arguments: [String], logPath: String, timeout: Double,
                    environment: [String: String]? = nil) -> Result {
        FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { return .launchFailed("cannot write the log \(logPath)") }
        defer { try? log.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        if let environment { p.environment = environment }
        let finished = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in finished.signal() }
        do {
            try p.run()
        } catch {
            return .launchFailed("cannot start \(executable): \(error.localizedDescription)")
        }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            if finished.wait(timeout: .now() + 5) == .timedOut {
                kill(p.processIdentifier, SIGKILL)
                finished.wait()
            }
            return .timedOut
        }
        if p.terminationReason == .uncaughtSignal { return .signaled(p.terminationStatus) }
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").map(String.init)
        let errorLine = lines.lastIndex { $0.hasPrefix("error:") }.map { i in
            lines[i...].prefix(4).joined(separator: " ").replacingOccurrences(of: "    ", with: " ")
        }
        return .exited(p.terminationStatus, lastError: errorLine)
    }
}
