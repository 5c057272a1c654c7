import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the available blocks, optionally of one kind.")

    @Argument(help: "model_wrapper, dataset, optimizers or runtime")
    var kind: String?

    func run() throws {
        let registry = BlockRegistry.builtIn
        var kinds = BlockKind.allCases.filter { !registry.entries(of: $0).isEmpty }
        if let kind {
            let aliases = ["optimizer": "optimizers", "runtimes": "runtime", "datasets": "dataset", "model_wrappers": "model_wrapper",
                           "modelwrapper": "model_wrapper", "modelwrappers": "model_wrapper"]
            guard let k = BlockKind(rawValue: aliases[kind] ?? kind) else {
                throw KenningError.badInput("unknown block kind \"\(kind)\"", fix: "use one of: \(kinds.map(\.rawValue).joined(separator: ", "))")
            }
            kinds = [k]
        }
        for k in kinds {
            print("\(k.rawValue):")
            for e in registry.entries(of: k) {
                print("  \(e.description.name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(e.description.summary)")
            }
        }
    }
}
