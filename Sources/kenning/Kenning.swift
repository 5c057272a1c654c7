import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct Kenning: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kenning",
        abstract: "Find the best way to deploy a neural network: optimize, run and measure pipelines.",
        subcommands: [FineTuneOptimizers.self, Optimize.self, Test.self, OptimizeTest.self, Server.self, Report.self, List.self, Info.self,
                      RunRequestCommand.self])
}
