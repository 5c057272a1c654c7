import CCPUID
import Foundation

/// The x86 instruction-set features that decide which kernels the native libraries (oneDNN, XNNPACK) and ONNX
/// Runtime pick, read from CPUID and the operating system's saved register state (XCR0), then limited by an
/// optional cap (`KENNING_MAX_CPU_ISA`, else oneDNN's own `ONEDNN_MAX_CPU_ISA` / `DNNL_MAX_CPU_ISA`).
///
/// The one consequence that matters for correctness: without VNNI, u8×s8 int8 dot products go through
/// `vpmaddubsw`, whose 16-bit pair sums saturate when weights use the full int8 range. Quantizers then write
/// 7-bit weights ("reduce range") and the oneDNN int8 path refuses full-range weights.
public struct CPUFeatures: Sendable, Equatable {
    /// Feature names as Linux spells them in `/proc/cpuinfo`.
    public enum Feature: String, CaseIterable, Sendable, Comparable {
        case sse4_1, sse4_2, avx, f16c, fma, avx2
        case avx512f, avx512bw, avx512dq, avx512vl, avx512_vnni, avx512_bf16, avx512_fp16
        case avx_vnni, amx_tile, amx_int8, amx_bf16

        public static func < (a: Feature, b: Feature) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// What the CPU and the operating system offer.
    public let detected: Set<Feature>
    /// What the project and the libraries it drives may use: `detected` within the cap.
    public let available: Set<Feature>
    /// The cap and the environment variable it came from, when one is set.
    public let cap: (level: ISALevel, source: String)?

    public static func == (a: CPUFeatures, b: CPUFeatures) -> Bool {
        a.detected == b.detected && a.available == b.available && a.cap?.level == b.cap?.level && a.cap?.source == b.cap?.source
    }

    public init(detected: Set<Feature>, cap: (level: ISALevel, source: String)? = nil) {
        self.detected = detected
        self.cap = cap
        self.available = cap.map { detected.intersection($0.level.allowed) } ?? detected
    }

    /// VNNI in any form (AVX-512 VNNI, AVX-VNNI, AMX int8): int8 dot products that accumulate in 32 bits.
    public var hasInt8DotProduct: Bool { !available.isDisjoint(with: [.avx512_vnni, .avx_vnni, .amx_int8]) }

    /// True when int8 u8×s8 products may saturate with full-range (8-bit) weights on this CPU: x86 without VNNI.
    public var int8WeightsSaturate: Bool { Self.isX86 && !hasInt8DotProduct }

    /// How int8 dot products run, in words (for measurements and messages).
    public var int8DotProduct: String {
        if !Self.isX86 { return "not x86" }
        if available.contains(.amx_int8) { return "AMX int8 tiles" }
        if available.contains(.avx512_vnni) { return "AVX-512 VNNI (vpdpbusd, 32-bit accumulation)" }
        if available.contains(.avx_vnni) { return "AVX-VNNI (vpdpbusd, 32-bit accumulation)" }
        return "vpmaddubsw (16-bit pair sums saturate with 8-bit weights)"
    }

    /// The record kept in measurements and artifact side files.
    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("isa_flags", .array(available.sorted().map { .string($0.rawValue) })),
            ("int8_dot_product", .string(int8DotProduct)),
            ("vnni", .bool(hasInt8DotProduct)),
        ]
        if let cap {
            pairs.append(("max_cpu_isa", .string(cap.level.rawValue)))
            pairs.append(("max_cpu_isa_source", .string(cap.source)))
            pairs.append(("detected_isa_flags", .array(detected.sorted().map { .string($0.rawValue) })))
        }
        return .object(pairs)
    }

    static var isX86: Bool {
        #if arch(x86_64) || arch(i386)
            return true
        #else
            return false
        #endif
    }

    /// The environment variables that cap the ISA, in the order they are read.
    public static let capVariables = ["KENNING_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"]

    /// This machine's features within the cap from the environment.
    ///
    /// A value of `KENNING_MAX_CPU_ISA` that names no level is bad input; oneDNN's own variables are read the way
    /// oneDNN reads them (an unknown value leaves the ISA uncapped).
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) throws(KenningError) -> CPUFeatures {
        let detected = hostFeatures
        for name in capVariables {
            guard let raw = environment[name], !raw.isEmpty else { continue }
            guard let level = ISALevel(parsing: raw) else {
                if name != capVariables[0] { continue }
                throw .badInput("\(name)=\(raw) is not a CPU ISA level",
                                fix: "set \(name) to one of \(ISALevel.allCases.map(\.rawValue).joined(separator: ", ")), or unset it")
            }
            return CPUFeatures(detected: detected, cap: (level, name))
        }
        return CPUFeatures(detected: detected)
    }

    /// The features CPUID and XCR0 report, read once.
    public static let hostFeatures: Set<Feature> = readHost()

    private static func readHost() -> Set<Feature> {
        var r: [UInt32] = [0, 0, 0, 0]
        func leaf(_ l: UInt32, _ s: UInt32 = 0) -> (eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) {
            guard kenning_cpuid(l, s, &r) != 0 else { return (0, 0, 0, 0) }
            return (r[0], r[1], r[2], r[3])
        }
        func bit(_ v: UInt32, _ b: UInt32) -> Bool { v & (1 << b) != 0 }
        let max = leaf(0).eax
        guard max >= 1 else { return [] }
        var f: Set<Feature> = []
        let l1 = leaf(1)
        let xcr0 = kenning_xcr0()
        let ymm = xcr0 & 0x6 == 0x6               // SSE and AVX state saved
        let zmm = ymm && xcr0 & 0xE0 == 0xE0      // opmask, ZMM_Hi256, Hi16_ZMM saved
        let tiles = xcr0 & 0x60000 == 0x60000     // XTILECFG, XTILEDATA saved
        if bit(l1.ecx, 19) { f.insert(.sse4_1) }
        if bit(l1.ecx, 20) { f.insert(.sse4_2) }
        if ymm, bit(l1.ecx, 28) { f.insert(.avx) }
        if ymm, bit(l1.ecx, 29) { f.insert(.f16c) }
        if ymm, bit(l1.ecx, 12) { f.insert(.fma) }
        guard max >= 7 else { return f }
        let l7 = leaf(7), l71 = leaf(7, 1)
        if ymm, bit(l7.ebx, 5) { f.insert(.avx2) }
        if zmm {
            if bit(l7.ebx, 16) { f.insert(.avx512f) }
            if bit(l7.ebx, 17) { f.insert(.avx512dq) }
            if bit(l7.ebx, 30) { f.insert(.avx512bw) }
            if bit(l7.ebx, 31) { f.insert(.avx512vl) }
            if bit(l7.ecx, 11) { f.insert(.avx512_vnni) }
            if bit(l7.edx, 23) { f.insert(.avx512_fp16) }
            if bit(l71.eax, 5) { f.insert(.avx512_bf16) }
        }
        if ymm, bit(l71.eax, 4) { f.insert(.avx_vnni) }
        if tiles {
            if bit(l7.edx, 24) { f.insert(.amx_tile) }
            if bit(l7.edx, 25) { f.insert(.amx_int8) }
            if bit(l7.edx, 22) { f.insert(.amx_bf16) }
        }
        return f
    }
}
