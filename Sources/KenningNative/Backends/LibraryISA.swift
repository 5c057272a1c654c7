import CDNNL
import CXNNPACK
import KenningCore

/// The CPU ISA cap applied to oneDNN and XNNPACK, once per process and before either library picks its kernels.
///
/// `KENNING_MAX_CPU_ISA` (oneDNN's level names: `avx2`, `avx512_core`, `avx512_core_vnni`, …) caps both libraries and
/// the project's own view of the CPU, so the code paths of a smaller CPU (an AVX2-only part without VNNI) run on a
/// bigger one: oneDNN through `dnnl_set_max_cpu_isa`, XNNPACK by clearing cpuinfo's flags before `xnn_initialize`.
/// oneDNN's own `ONEDNN_MAX_CPU_ISA` caps oneDNN (which reads it itself) and XNNPACK the same way.
enum LibraryISA {
    /// The features in force, or why the cap is invalid.
    static let applied: Result<CPUFeatures, KenningError> = apply()

    static func features() throws(KenningError) -> CPUFeatures { try applied.get() }

    private static func apply() -> Result<CPUFeatures, KenningError> {
        let features: CPUFeatures
        do { features = try CPUFeatures.current() } catch { return .failure(error) }
        guard let cap = features.cap else { return .success(features) }
        if cap.source == CPUFeatures.capVariables[0] {
            let status = dnnl_set_max_cpu_isa(oneDNNLevel(cap.level))
            if status != dnnl_success {
                return .failure(.failure("oneDNN refused the ISA cap \(cap.level.rawValue) (status \(status.rawValue)): it had already picked its kernels",
                                         fix: "set \(cap.source) before the process starts"))
            }
        }
        let a = features.available
        let avx512: Set<CPUFeatures.Feature> = [.avx512f, .avx512bw, .avx512dq, .avx512vl]
        if !kenning_xnnpack_limit_isa(a.contains(.avx), a.contains(.fma), a.contains(.avx2), avx512.isSubset(of: a), a.contains(.avx512_vnni)) {
            return .failure(.failure("cpuinfo could not initialize, so the ISA cap \(cap.level.rawValue) cannot reach XNNPACK",
                                     fix: "unset \(cap.source)"))
        }
        return .success(features)
    }

    static func oneDNNLevel(_ level: ISALevel) -> dnnl_cpu_isa_t {
        switch level {
        case .sse41: return dnnl_cpu_isa_sse41
        case .avx: return dnnl_cpu_isa_avx
        case .avx2: return dnnl_cpu_isa_avx2
        case .avx2_vnni: return dnnl_cpu_isa_avx2_vnni
        case .avx512_core: return dnnl_cpu_isa_avx512_core
        case .avx512_core_vnni: return dnnl_cpu_isa_avx512_core_vnni
        case .avx512_core_bf16: return dnnl_cpu_isa_avx512_core_bf16
        case .avx512_core_amx: return dnnl_cpu_isa_avx512_core_amx
        case .all: return dnnl_cpu_isa_all
        }
    }

    /// The ISA oneDNN uses here, within any cap (its own answer, `dnnl_get_effective_cpu_isa`).
    /// Applies the cap first: asking oneDNN fixes its ISA for the rest of the process.
    static var oneDNNEffective: dnnl_cpu_isa_t {
        _ = applied
        return dnnl_get_effective_cpu_isa()
    }

    /// Whether oneDNN's int8 convolutions accumulate u8×s8 products in 32 bits (VNNI: AVX-512 VNNI or AVX-VNNI).
    /// Without it oneDNN uses `vpmaddubsw`, whose 16-bit pair sums saturate once |weight| exceeds 64.
    static var oneDNNHasInt8DotProduct: Bool {
        let isa = oneDNNEffective.rawValue
        let vnniBits = dnnl_cpu_isa_avx512_core_vnni.rawValue & ~dnnl_cpu_isa_avx512_core.rawValue
            | dnnl_cpu_isa_avx2_vnni.rawValue & ~dnnl_cpu_isa_avx2.rawValue
        if isa == dnnl_cpu_isa_all.rawValue { return (try? features().hasInt8DotProduct) ?? false }
        return isa & vnniBits != 0
    }

    /// The largest |weight| oneDNN's int8 convolution takes without saturating on this CPU.
    static var oneDNNWeightLimit: Int { oneDNNHasInt8DotProduct ? 127 : 64 }
}
