import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a block's parameters, defaults and model formats; or, with --json-schema, the JSON Schema of scenarios.")

    @Argument(help: "Block name, short (NativeRuntime) or dotted")
    var block: String?

    @Flag(name: .customLong("json-schema"), help: "Print the JSON Schema (draft 2020-12) of scenarios and fine-tune configs, from every block's declarations")
    var jsonSchema = false

    func run() throws {
        if jsonSchema {
            print(ScenarioSchema.document(registry: .builtIn).serialized(indent: 2))
            return
        }
        guard let block else {
            throw KenningError.badInput("`kenning info` needs a block name or --json-schema", fix: "e.g. `kenning info NativeRuntime`; `kenning list` shows all blocks")
        }
        guard let e = BlockRegistry.builtIn.find(block) else {
            let names = BlockRegistry.builtIn.entries.map(\.description.name)
            let near = nearestNames(to: block, in: names)
            throw KenningError.badInput("unknown block \"\(block)\"",
                                        fix: (near.isEmpty ? "" : "did you mean \(near.joined(separator: " or "))? ") + "`kenning list` shows all blocks")
        }
        let d = e.description
        print("\(d.name) (\(d.kind.displayName))")
        print("  type: \(d.name) or \(d.dottedName)")
        print("  \(d.summary)")
        if !d.inputFormats.isEmpty { print("  accepts: \(d.inputFormats.map(\.rawValue).joined(separator: ", "))") }
        if !d.outputFormats.isEmpty { print("  produces: \(d.outputFormats.map(\.rawValue).joined(separator: ", "))") }
        print("  parameters:")
        for p in d.parameters {
            let def = p.defaultValue.map { "default \($0.serialized(indent: nil))" } ?? "required"
            var line = "    \(p.name): \(p.type.name), \(def)"
            if let r = p.range { line += ", range \(r.lowerBound)…\(r.upperBound)" }
            print(line)
            print("        \(p.help)")
        }
    }
}
