/// An upper bound on the instruction set, with oneDNN's level names (`ONEDNN_MAX_CPU_ISA`).
public enum ISALevel: String, CaseIterable, Sendable {
    case sse41, avx, avx2, avx2_vnni, avx512_core, avx512_core_vnni, avx512_core_bf16, avx512_core_amx, all

    /// Accepts oneDNN's spellings in any case (`AVX2`, `avx512_core_vnni`, `ALL`).
    public init?(parsing text: String) {
        guard let level = ISALevel(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else { return nil }
        self = level
    }

    /// The features a CPU capped at this level may use.
    public var allowed: Set<CPUFeatures.Feature> {
        switch self {
        case .sse41: return [.sse4_1, .sse4_2]
        case .avx: return ISALevel.sse41.allowed.union([.avx, .f16c])
        case .avx2: return ISALevel.avx.allowed.union([.fma, .avx2])
        case .avx2_vnni: return ISALevel.avx2.allowed.union([.avx_vnni])
        case .avx512_core: return ISALevel.avx2.allowed.union([.avx512f, .avx512bw, .avx512dq, .avx512vl])
        case .avx512_core_vnni: return ISALevel.avx512_core.allowed.union([.avx512_vnni, .avx_vnni])
        case .avx512_core_bf16: return ISALevel.avx512_core_vnni.allowed.union([.avx512_bf16])
        case .avx512_core_amx: return ISALevel.avx512_core_bf16.allowed.union([.amx_tile, .amx_int8, .amx_bf16, .avx512_fp16])
        case .all: return Set(CPUFeatures.Feature.allCases)
        }
    }
}
