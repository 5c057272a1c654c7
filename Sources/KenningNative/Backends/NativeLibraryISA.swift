import CXNNPACK
import KenningCore

/// The instruction sets the native libraries use in this process, after the CPU ISA cap (for measurements and tests).
public enum NativeLibraryISA {
    /// oneDNN's effective ISA, in its level names (`avx2`, `avx512_core_vnni`, …).
    public static var oneDNN: String {
        let isa = LibraryISA.oneDNNEffective
        return ISALevel.allCases.first { LibraryISA.oneDNNLevel($0) == isa }?.rawValue ?? "0x" + String(isa.rawValue, radix: 16)
    }

    /// Whether oneDNN's int8 convolutions accumulate in 32 bits here (else full-range weights are refused on `onednn`).
    public static var oneDNNInt8DotProduct: Bool {
        LibraryISA.oneDNNHasInt8DotProduct
    }

    /// Whether XNNPACK picks its AVX-512 kernels (false on AVX2-only CPUs and under an AVX2 cap).
    public static var xnnpackAVX512: Bool {
        _ = XNNPACKLibrary.status
        return kenning_xnnpack_sees_avx512()
    }

    /// The record kept in measurements.
    public static var json: JSONValue {
        .object([("onednn_isa", .string(oneDNN)), ("onednn_int8_vnni", .bool(oneDNNInt8DotProduct)), ("xnnpack_avx512", .bool(xnnpackAVX512))])
    }
}
