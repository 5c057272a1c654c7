import Foundation
import KenningCore
import Testing

/// The repository root (tests read the committed data and model).
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    return FileManager.default.currentDirectoryPath
}()

func repo(_ path: String) -> String { (repoRoot as NSString).appendingPathComponent(path) }

func temporaryDirectory() -> String {
    let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("kenning-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func resolved(_ specs: [ParameterSpec], _ values: [(String, JSONValue)]) throws -> ResolvedParameters {
    try ResolvedParameters.resolve(.object(values), specs: specs, blockName: "test")
}

/// qemu-user, which runs a process on an emulated x86 CPU model (scripts/test installs it).
let qemuUser = "/usr/bin/qemu-x86_64"

/// ONNX Runtime's outputs for `model` (scripts/ort_run.py in the test venv); with `cpu`, ONNX Runtime runs on that
/// emulated x86 CPU model, so MLAS picks that CPU's kernels (`Haswell`: AVX2 and FMA, no AVX-512, no VNNI).
func onnxRuntimeOutputs(model: String, input: [Float], shape: [Int], cpu: String? = nil) throws -> [Float] {
    let dir = temporaryDirectory()
    try input.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: dir + "/in.f32")) }
    let command = [repo(".venv/bin/python"), repo("scripts/ort_run.py"), model, dir + "/in.f32", shape.map(String.init).joined(separator: ","),
                   dir + "/out.f32"]
    let p = Process()
    p.executableURL = URL(fileURLWithPath: cpu == nil ? command[0] : qemuUser)
    p.arguments = cpu.map { ["-cpu", $0] + command } ?? Array(command.dropFirst())
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "ONNX Runtime could not run \(model)\(cpu.map { " on an emulated \($0)" } ?? "")")
    return try CNNTestSet.floats(dir + "/out.f32")
}

/// The environment that makes a framework worker misbehave at PROCESS (`crash`, `hang`, `garbage`): the test support's
/// `sitecustomize.py` on the worker's PYTHONPATH (Tests/KenningTests/Support/worker-faults).
func workerFaultEnvironment(_ fault: String) -> [String: String] {
    ["KENNING_WORKER_FAULT": fault, "PYTHONPATH": repo("workers/python") + ":" + repo("Tests/KenningTests/Support/worker-faults")]
}
