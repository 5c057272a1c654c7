import Foundation
import KenningCore
import Testing

/// The native int8 pipelines on an emulated AVX2-only x86 CPU (QEMU's Haswell model: AVX2 and FMA, no AVX-512, no
/// VNNI), whatever the machine has: CPUID, oneDNN's and XNNPACK's kernel choice and the quantizer's `auto` all see that
/// CPU, not a cap. `scripts/test` installs qemu-user.
@Suite struct EmulatedAVX2 {
    static let qemu = "/usr/bin/qemu-x86_64"
    static let cpu = "Haswell"

    /// Runs the kenning binary on the emulated CPU.
    static func emulated(_ args: [String]) throws -> CLI.Result {
        var r = try CLI.run(args, wrapper: [qemu, "-cpu", cpu])
        // QEMU warns about host-only CPU features its emulator lacks; those lines are not ours.
        r.stderr = r.stderr.split(separator: "\n").filter { !$0.contains("TCG doesn't support") }.joined(separator: "\n")
        return r
    }

    static func scenario(_ dir: String, model: String, backend: String, quantize: Bool) -> String {
        let optimizers = quantize
            ? #"[{"type": "NativeQuantizer", "parameters": {"compiled_model_path": "\#(model)"}}]"# : "[]"
        return #"""
        {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "\#(quantize ? "models/digits-cnn.onnx" : model)", "input_std": 16.0}},
         "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
         "optimizers": \#(optimizers),
         "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "\#(model)", "backend": "\#(backend)", "num_threads": 2}}}
        """#
    }

    static func measurements(_ path: String) throws -> [String: Any] { try #require(try CLI.json(path) as? [String: Any]) }

    @Test("NativeQuantizer → NativeRuntime on an AVX2-only CPU: auto picks 7-bit weights, every int8 backend equals the float simulation",
          arguments: ["onednn", "xnnpack", "auto"])
    func nativeInt8(_ backend: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.qemu), "qemu-user is missing: run scripts/test (it installs qemu-user)")
        let dir = CLI.tempDir()
        let model = "\(dir)/int8.onnx"
        try Self.scenario(dir, model: model, backend: backend, quantize: true).write(toFile: "\(dir)/s.json", atomically: true, encoding: .utf8)
        let r = try Self.emulated(["optimize", "test", "--json-cfg", "\(dir)/s.json", "--measurements", "\(dir)/m.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = try Self.measurements("\(dir)/m.json")
        // The emulated CPU is what the run saw and recorded.
        let isa = try #require((m["environment"] as? [String: Any])?["cpu_isa"] as? [String: Any])
        let flags = isa["isa_flags"] as? [String] ?? []
        #expect(flags.contains("avx2") && flags.contains("fma") && !flags.contains("avx512f") && isa["vnni"] as? Bool == false, "\(flags)")
        #expect(isa["max_cpu_isa"] == nil)
        let q = try #require(m["quantization"] as? [String: Any])
        #expect(q["reduce_range"] as? Bool == true && q["reduce_range_setting"] as? String == "auto")
        let confusion = try #require(m["eval_confusion_matrix"] as? [[Int]])
        let accuracy = Double(confusion.indices.map { confusion[$0][$0] }.reduce(0, +)) / Double(confusion.joined().reduce(0, +))
        #expect(accuracy >= 0.97)
        // The same int8 model on the reference backend (the float simulation of its QDQ graph), on the host: with no
        // optimizers the runtime runs the model wrapper's model, here the int8 file.
        try Self.scenario(dir, model: model, backend: "reference", quantize: false).write(toFile: "\(dir)/r.json", atomically: true, encoding: .utf8)
        let s = try CLI.run(["test", "--json-cfg", "\(dir)/r.json", "--measurements", "\(dir)/r_m.json"])
        #expect(s.status == 0, "\(s.stderr)")
        let simulated = try #require(try Self.measurements("\(dir)/r_m.json")["output_samples"] as? [[Double]])
        let outputs = try #require(m["output_samples"] as? [[Double]])
        #expect(outputs.count == simulated.count && !outputs.isEmpty)
        let worst = zip(outputs, simulated).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? 1
        print("emulated \(Self.cpu) \(backend): max |Δp| vs float simulation \(worst)")
        #expect(worst <= 1e-4, "\(backend) on \(Self.cpu): outputs differ from the float simulation by \(worst)")
    }
}
