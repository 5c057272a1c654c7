import Foundation
import KenningBlocks
import KenningCore
import KenningNative
import Testing

/// CPU feature detection, the ISA cap, and the decisions that follow from them (reduce_range, oneDNN's int8 path).
@Suite struct CPUFeatureTests {
    static let vnniMachine: Set<CPUFeatures.Feature> = [.sse4_1, .sse4_2, .avx, .f16c, .fma, .avx2, .avx512f, .avx512bw, .avx512dq,
                                                         .avx512vl, .avx512_vnni]

    @Test("CPUID agrees with what Linux reports in /proc/cpuinfo")
    func detectionMatchesProcCpuinfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        let linux = Set(line.split(separator: ":", maxSplits: 1)[1].split(separator: " ").map(String.init))
        for feature in CPUFeatures.Feature.allCases {
            #expect(CPUFeatures.hostFeatures.contains(feature) == linux.contains(feature.rawValue), "\(feature.rawValue)")
        }
    }

    @Test("a cap keeps only the features of its level, and int8 saturation follows VNNI")
    func capsAndSaturation() throws {
        let capped = try CPUFeatures.current(environment: ["KENNING_MAX_CPU_ISA": "AVX2"])
        #expect(capped.available.isSubset(of: ISALevel.avx2.allowed))
        #expect(capped.cap?.level == .avx2 && capped.cap?.source == "KENNING_MAX_CPU_ISA")
        #expect(capped.int8WeightsSaturate && !capped.hasInt8DotProduct)
        #expect(capped.json["max_cpu_isa"]?.stringValue == "avx2")

        let big = CPUFeatures(detected: Self.vnniMachine)
        #expect(big.hasInt8DotProduct && !big.int8WeightsSaturate)
        #expect(CPUFeatures(detected: Self.vnniMachine, cap: (.avx512_core, "test")).int8WeightsSaturate)
        #expect(!CPUFeatures(detected: Self.vnniMachine, cap: (.avx512_core_vnni, "test")).int8WeightsSaturate)
        // AVX-VNNI (Alder Lake and later, Zen 5) counts as VNNI.
        #expect(!CPUFeatures(detected: ISALevel.avx2.allowed.union([.avx_vnni])).int8WeightsSaturate)
        #expect(CPUFeatures(detected: ISALevel.avx2.allowed).int8DotProduct.contains("vpmaddubsw"))
        // oneDNN's own variable caps us too; an unknown value there is ignored as oneDNN ignores it.
        #expect(try CPUFeatures.current(environment: ["ONEDNN_MAX_CPU_ISA": "avx2"]).cap?.source == "ONEDNN_MAX_CPU_ISA")
        #expect(try CPUFeatures.current(environment: ["DNNL_MAX_CPU_ISA": "nonsense"]).cap == nil)
    }

    @Test("an unknown KENNING_MAX_CPU_ISA is bad input naming the variable and the levels")
    func badCap() {
        do {
            _ = try CPUFeatures.current(environment: ["KENNING_MAX_CPU_ISA": "avx3"])
            Issue.record("accepted avx3")
        } catch {
            #expect(error.kind == .badInput)
            #expect(error.description.contains("KENNING_MAX_CPU_ISA=avx3") && error.description.contains("avx512_core_vnni"))
        }
    }

    @Test("oneDNN and XNNPACK use the ISA the project sees (the cap reaches both libraries)")
    func librariesFollowTheCap() throws {
        let cpu = try CPUFeatures.current()
        #expect(NativeLibraryISA.oneDNNInt8DotProduct == cpu.hasInt8DotProduct)
        let avx512: Set<CPUFeatures.Feature> = [.avx512f, .avx512bw, .avx512dq, .avx512vl]
        #expect(NativeLibraryISA.xnnpackAVX512 == avx512.isSubset(of: cpu.available))
        if let cap = cpu.cap {
            #expect(NativeLibraryISA.oneDNN == cap.level.rawValue || !cap.level.allowed.isSubset(of: cpu.detected))
        }
        print("cpu: \(cpu.available.sorted().map(\.rawValue).joined(separator: " ")); \(NativeLibraryISA.json.serialized(indent: nil))")
    }

    @Test("reduce_range is a parameter of both int8 quantizers, auto by default, and takes true, false or \"auto\" only")
    func reduceRangeParameter() throws {
        for d in [NativeQuantizer.description, ONNXRuntimeQuantizer.description] {
            let spec = try #require(d.parameters.first { $0.name == "reduce_range" })
            #expect(spec.defaultValue == .string("auto") && spec.type == .booleanOrAuto)
            #expect(throws: KenningError.self) {
                try ResolvedParameters.resolve(.object([("compiled_model_path", "m.onnx"), ("reduce_range", "yes")]), specs: d.parameters,
                                               blockName: d.name)
            }
            for ok: JSONValue in [true, false, "auto"] {
                _ = try ResolvedParameters.resolve(.object([("compiled_model_path", "m.onnx"), ("reduce_range", ok)]), specs: d.parameters,
                                                   blockName: d.name)
            }
        }
    }
}
