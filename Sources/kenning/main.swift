import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

/// Kenning chains `optimize test`; the parser sees it as one subcommand.
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.count >= 2, arguments[0] == "optimize", arguments[1] == "test" {
    arguments.replaceSubrange(0...1, with: ["optimize-test"])
} else if arguments.count >= 2, arguments[0] == "test", arguments[1] == "optimize" {
    arguments.replaceSubrange(0...1, with: ["optimize-test"])
}

// The engine runs each pipeline in a child process with a memory limit (address space), passed down here.
if let limit = ProcessInfo.processInfo.environment["KENNING_MEMORY_LIMIT_MB"].flatMap(Int.init), limit > 0 {
    var rl = rlimit(rlim_cur: rlim_t(limit) << 20, rlim_max: rlim_t(limit) << 20)
    setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &rl)
}

do {
    var command = try Kenning.parseAsRoot(arguments)
    try command.run()
} catch let error as KenningError {
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    exit(error.exitCode)
} catch let error as ExitCode {
    exit(error.rawValue)
} catch {
    let code = Kenning.exitCode(for: error)
    let message = Kenning.fullMessage(for: error)
    if code == .success {
        print(message)
        exit(0)
    }
    FileHandle.standardError.write(Data(("error: " + message.replacingOccurrences(of: "Error: ", with: "") + "\n").utf8))
    exit(2)
}
