import KenningCore

/// An int8 quantizer's weight range: 8 bits (±127), or 7 bits (±64, "reduce range") so that u8×s8 dot products
/// cannot saturate on x86 CPUs without VNNI, where oneDNN and ONNX Runtime multiply through `vpmaddubsw`.
///
/// `auto` decides from the machine that will run the model; today that is this machine (its features within
/// any `KENNING_MAX_CPU_ISA` cap). The choice and the features behind it go into the artifact's side file.
struct ReduceRange: Sendable {
    static let parameter = ParameterSpec(
        "reduce_range", .booleanOrAuto, default: "auto",
        help: "7-bit weights (±64) so int8 dot products cannot saturate on x86 without VNNI; auto: on when this CPU lacks VNNI")

    /// The user's setting: nil for `auto`.
    let setting: Bool?
    let enabled: Bool
    let cpu: CPUFeatures

    init(_ p: ResolvedParameters) throws(KenningError) {
        setting = p[CommonParameter.reduceRange]
        cpu = try CPUFeatures.current()
        enabled = setting ?? cpu.int8WeightsSaturate
    }

    /// The artifact cache's view of the choice (`Optimizer.machineContext`).
    var machineContext: String { "reduce_range=\(enabled)" }

    /// The largest quantized |weight|.
    var weightLimit: Float { enabled ? 64 : 127 }

    var reason: String {
        switch (setting, enabled) {
        case (true?, _): return "reduce_range true"
        case (false?, _): return "reduce_range false"
        case (nil, true): return "auto: this CPU has no VNNI, so 8-bit weights would saturate u8×s8 dot products"
        case (nil, false): return cpu.hasInt8DotProduct ? "auto: this CPU has VNNI (32-bit int8 accumulation)" : "auto: not an x86 CPU"
        }
    }

    /// The side-file and measurements record.
    func record(quantizer: String) -> JSONValue {
        .object([
            ("quantizer", .string(quantizer)),
            ("reduce_range", .bool(enabled)),
            ("reduce_range_setting", setting.map { .bool($0) } ?? .string("auto")),
            ("weight_range", .array([.int(-Int(weightLimit)), .int(Int(weightLimit))])),
            ("reason", .string(reason)),
            ("cpu", cpu.json),
        ])
    }
}
