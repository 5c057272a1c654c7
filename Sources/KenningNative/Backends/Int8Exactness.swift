import KenningCore
import KenningModel

/// When oneDNN's int8 convolution would return wrong numbers: on CPUs without VNNI its u8×s8 dot products go through
/// `vpmaddubsw`, whose 16-bit pair sums saturate once |weight| exceeds 64 (255 · 64 · 2 = 32 640 fits, 255 · 65 · 2 does
/// not). Weights quantized with `reduce_range` (7 bits) stay within ±64 and are exact everywhere.
extension NativeSession {
    /// Why `backend` cannot run `model`'s int8 convolutions exactly on this CPU, or nil when it can.
    ///
    /// Only an explicit `onednn` is refused; `auto` runs such convolutions on XNNPACK, which widens to 16 bits
    /// before multiplying and is exact on every ISA.
    public static func int8Incompatibility(_ model: Model, backend: NativeBackend) -> String? {
        guard backend == .onednn else { return nil }
        let g = model.graph
        var producer: [String: Node] = [:]
        for n in g.nodes { for o in n.outputs { producer[o] = n } }
        var worst = 0
        for n in g.nodes where n.opType == "Conv" && n.domain.isEmpty && n.inputs.count > 1 {
            guard let dq = producer[n.inputs[1]], dq.opType == "DequantizeLinear", let w = g.initializers[dq.inputs[0]],
                  case let .int8(values) = w.storage, producer[n.inputs[0]]?.opType == "DequantizeLinear"
            else { continue }
            worst = max(worst, values.reduce(0) { max($0, abs(Int($1))) })
        }
        guard worst > LibraryISA.oneDNNWeightLimit else { return nil }
        let refusal = oneDNNInt8Refusal("the model", maxAbsWeight: worst).problems[0]
        return refusal.what + "; " + (refusal.fix ?? "")
    }

    static func oneDNNInt8Refusal(_ label: String, maxAbsWeight: Int) -> KenningError {
        let cpu = (try? LibraryISA.features()).map { "; CPU ISA: \($0.available.sorted().map(\.rawValue).joined(separator: " "))" } ?? ""
        return .badInput("backend onednn cannot run the int8 convolutions of \(label) exactly on this CPU: its weights reach ±\(maxAbsWeight), "
                         + "and without VNNI oneDNN's u8×s8 dot products saturate beyond ±64\(cpu)",
                         fix: "quantize with \"reduce_range\": true (or \"auto\", the default) so weights use 7 bits, "
                            + "or use backend \"xnnpack\", \"auto\" or \"reference\"")
    }
}
