import Foundation
import KenningBlocks
import KenningCore
import Testing

/// Kenning's parameter table (Tests/KenningCLITests/Support/kenning-reference/arguments.json: every JSON key of its blocks by
/// its `arguments_structure` rule, read at a pinned Kenning commit): each Kenning block we implement resolves by its
/// dotted name and accepts every key Kenning's accepts, with Kenning's default where the table gives a plain value.
@Suite struct KenningKeys {
    struct Reference: Sendable {
        let dottedName: String
        let keys: [(key: String, defaultValue: JSONValue?)]
    }

    static let references: [Reference] = {
        guard let data = FileManager.default.contents(atPath: repo("Tests/KenningCLITests/Support/kenning-reference/arguments.json")),
              let json = try? JSONValue.parse(String(decoding: data, as: UTF8.self)), let classes = json["classes"]?.objectPairs else { return [] }
        return classes.map { name, info in
            Reference(dottedName: name, keys: (info["parameters"]?.arrayValue ?? []).compactMap { p in
                guard let key = p["json_key"]?.stringValue else { return nil }
                let plain = p["default_is_expression"]?.boolValue != true
                return (key, plain ? p["default"] : nil)
            })
        }
    }()

    /// Kenning blocks with no counterpart here yet.
    static let notImplemented: Set<String> = []

    /// Kenning defaults this build changes on purpose, and why.
    static let differentDefaults: [String: String] = [
        "RandomizedClassificationDataset.dataset_root": "no files are read; a folder name under build/ is the default",
        "PetDataset.dataset_root": "the local fixture's folder",
        "TFLiteRuntime.save_model_path": "required here (the pipeline copies its model to it)",
        "TVMRuntime.save_model_path": "required here", "IREERuntime.save_model_path": "required here", "ONNXRuntime.save_model_path": "required here",
        "TVMCompiler.target": "llvm, this machine's CPU", "TVMRuntime.runtime_use_vm": "TVM 0.27 has only the virtual machine",
        "TFLiteRuntime.num_threads": "LiteRT's own default of 4 threads",
        "TFLiteCompiler.target": "Kenning's default target (default)",
        "IREECompiler.backend": "llvm-cpu, the only backend here", "IREERuntime.driver": "local-sync",
    ]

    @Test("the table covers Kenning's blocks")
    func tableIsThere() {
        #expect(Self.references.count == 14)
    }

    @Test("each Kenning block we implement resolves by its dotted name and takes all of Kenning's keys")
    func keys() throws {
        for reference in Self.references {
            let short = String(reference.dottedName.split(separator: ".").last ?? "")
            if Self.notImplemented.contains(short) { continue }
            let entry = BlockRegistry.builtIn.entries.first { $0.description.name == short }
            let found = try #require(entry, "\(reference.dottedName) has no block")
            let kind = found.description.kind
            #expect((try? BlockRegistry.builtIn.resolve(reference.dottedName, kind: kind)) != nil, "\(reference.dottedName) does not resolve")
            let ours = Dictionary(found.description.parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for (key, kenningDefault) in reference.keys {
                guard let spec = ours[key] else {
                    Issue.record("\(short) does not take Kenning's key \"\(key)\"")
                    continue
                }
                // Kenning writes null for "no default" (required keys) and for "none given" (an empty list here).
                guard let kenningDefault, kenningDefault != .null || !(spec.defaultValue == nil || spec.defaultValue == .array([])),
                      Self.differentDefaults["\(short).\(key)"] == nil else { continue }
                let same = spec.defaultValue == kenningDefault || (spec.defaultValue?.doubleValue != nil && spec.defaultValue?.doubleValue == kenningDefault.doubleValue)
                #expect(same, "\(short).\(key): default \(spec.defaultValue?.serialized(indent: nil) ?? "none (required)") here, Kenning's \(kenningDefault.serialized(indent: nil))")
            }
        }
    }
}
