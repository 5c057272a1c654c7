import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

/// Kenning chains `optimize test` (the parser sees one subcommand) and `… report` (run after the pipeline).
var arguments = Array(CommandLine.arguments.dropFirst())
let chain = ReportChain(arguments)
if let chain {
    arguments = chain.pipeline
} else if arguments.count >= 2, arguments[0] == "optimize", arguments[1] == "test" {
    arguments.replaceSubrange(0...1, with: ["optimize-test"])
} else if arguments.count >= 2, arguments[0] == "test", arguments[1] == "optimize" {
    arguments.replaceSubrange(0...1, with: ["optimize-test"])
}
if arguments.first == "report" { arguments = ReportChain.normalizeToHTML(arguments) }

do {
    // A chained report's options are checked before the pipeline runs.
    var report = try chain.map { try Kenning.parseAsRoot(ReportChain.normalizeToHTML($0.report)) }
    var command = try Kenning.parseAsRoot(arguments)
    try command.run()
    try report?.run()
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
