import Foundation
import KenningCore

/// Kenning's IO-specification side file `<model>.json`. Beside Kenning's `input`/`output` lists it may hold a
/// `quantization` record: how an int8 quantizer chose its weight range and the CPU it based the choice on.
public enum IOSpecFile {
    public static func write(_ io: IOSpec, nextTo modelPath: String, quantization: JSONValue? = nil) throws(KenningError) {
        let path = modelPath + ".json"
        var doc = io.json
        if let quantization { doc = doc.setting("quantization", to: quantization) }
        do {
            try Data((doc.serialized(indent: 4) + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .badInput("cannot write \(path): \(error.localizedDescription)", file: path, fix: "choose a writable directory")
        }
    }

    /// The `quantization` record of `<model>.json`, when there is one.
    public static func quantization(nextTo modelPath: String) -> JSONValue? {
        guard let text = try? String(contentsOfFile: modelPath + ".json", encoding: .utf8), let doc = try? JSONValue.parse(text) else { return nil }
        return doc["quantization"]
    }

    /// Reads `<model>.json` when it exists and holds a valid specification.
    public static func read(nextTo modelPath: String) -> IOSpec? {
        guard let text = try? String(contentsOfFile: modelPath + ".json", encoding: .utf8), let doc = try? JSONValue.parse(text) else { return nil }
        return parse(doc)
    }

    /// The specification in a Kenning IO-spec document (`input` and `output` lists of name, shape, dtype), or nil.
    public static func parse(_ doc: JSONValue) -> IOSpec? {
        func specs(_ key: String) -> [TensorSpec]? {
            doc[key]?.arrayValue?.compactMap { t in
                guard let name = t["name"]?.stringValue, let shape = t["shape"]?.arrayValue?.compactMap(\.intValue) else { return nil }
                let type = ElementType.allCases.first { $0.numpyName == t["dtype"]?.stringValue } ?? .float32
                return TensorSpec(name: name, shape: shape, elementType: type)
            }
        }
        guard let inputs = specs("input"), let outputs = specs("output"), !inputs.isEmpty else { return nil }
        return IOSpec(inputs: inputs, outputs: outputs)
    }
}
