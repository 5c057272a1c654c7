import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

/// The child side of a search's isolated run: `kenning run-request FILE` (started by fine-tune-optimizers).
struct RunRequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run-request", abstract: "Run one isolated step of a search (internal).",
                                                    shouldDisplay: false)

    @Argument(help: "The run request (JSON) written by fine-tune-optimizers")
    var request: String

    func run() throws {
        let r = try ChildRun.request(at: request)
        let quiet = r.verbosity != "DEBUG" && r.verbosity != "INFO"
        if let error = ChildRun.execute(r, log: { line in if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } }) {
            throw error
        }
    }
}
