import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct OptimizeTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize-test", abstract: "Run the scenario's optimizers, then measure the result (also `kenning test optimize`).",
        usage: "kenning optimize test --json-cfg <json-cfg> [--measurements <measurements>] [--verbosity <verbosity>]",
        shouldDisplay: false)
    @OptionGroup var options: ScenarioOptions
    func run() throws { try options.runPipeline(optimize: true, test: true, commandName: ["optimize", "test"]) }
}
