import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct Optimize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the scenario's optimizers (compile the model). Chain with test: `kenning optimize test`.")
    @OptionGroup var options: ScenarioOptions
    func run() throws { try options.runPipeline(optimize: true, test: false, commandName: ["optimize"]) }
}
