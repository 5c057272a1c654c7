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
