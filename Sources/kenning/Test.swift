import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure the scenario's runtime on the dataset's test split (without compiling).")
    @OptionGroup var options: ScenarioOptions
    func run() throws { try options.runPipeline(optimize: false, test: true, commandName: ["test"]) }
}
