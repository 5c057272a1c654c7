import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct OptimizeTest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "optimize-test", abstract: "Same as `kenning optimize test`.",
                                                    shouldDisplay: false)
    @OptionGroup var options: ScenarioOptions
    func run() throws { try options.runPipeline(optimize: true, test: true, commandName: ["optimize", "test"]) }
}
