// kenning-bench: drives the native runtime for benchmarks and quick checks.
//
//   kenning-bench check MODEL.onnx INPUT.f32 D0,D1,.. REFERENCE.f32 [--backend B] [--threads N] [--profile]
//       runs one inference, prints {"max_rel_error": …, "max_abs_error": …} against REFERENCE (first output)
//   kenning-bench quantize MODEL.onnx OUTPUT.onnx [--samples N] [--digits]
//       int8 QDQ model by NativeQuantizer, calibrated on N seeded random samples (or, with --digits, on the digits
//       training split with the default example's normalization)
//   kenning-bench serve MODEL.onnx D0,D1,.. [--backend B] [--threads N]
//       loads the model, prints {"ready": true, "conv_gflop": …, "load_ms": …}, then answers commands on stdin:
//       "run K" → {"ms": [K per-inference times]};  "profile" → the per-op table on stderr;  "quit"
//
// Inputs for `serve` are seeded random normal values; timing is in-process (DispatchTime), one inference per sample.
import Dispatch
import Foundation
import KenningBlocks
import KenningCore
import KenningModel
import KenningNative

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("kenning-bench: \(message)\n".utf8))
    exit(2)
}

func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func readFloats(_ path: String) -> [Float] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

func parseShape(_ text: String) -> [Int] {
    let dims = text.split(separator: ",").compactMap { Int($0) }
    guard !dims.isEmpty else { fail("bad shape \(text); expected e.g. 1,3,224,224") }
    return dims
}

/// Multiply-adds ×2 of every Conv/Gemm/MatMul for the given input shape, in GFLOP.
func denseGFLOP(_ model: Model, input: String, shape: [Int]) -> Double {
    guard let shapes = try? ShapeInference.infer(model, inputShapes: [input: shape], evaluate: NativeSession.evaluate) else { return 0 }
    var flops = 0.0
    for node in model.graph.nodes {
        switch node.opType {
        case "Conv", "FusedConv":
            guard let out = shapes[node.outputs[0]], let w = shapes[node.inputs[1]] else { continue }
            flops += 2 * Double(out.reduce(1, *)) * Double(w.dropFirst().reduce(1, *))
        case "Gemm", "FusedGemm", "MatMul":
            guard let out = shapes[node.outputs[0]], let a = shapes[node.inputs[0]] else { continue }
            flops += 2 * Double(out.reduce(1, *)) * Double(node.opType == "MatMul" || node.int("transA", default: 0) == 0 ? a.last ?? 0 : a.first ?? 0)
        default: continue
        }
    }
    return flops / 1e9
}

struct Options {
    var positional: [String] = []
    var backend = NativeBackend.reference
    var threads = 1
    var profile = false
    var digits = false
    var samples = 16
}

/// Seeded random samples of one model input's shape (calibration for latency benchmarks).
struct RandomSamples: Dataset {
    let sampleShape: [Int]
    let count: Int
    var classNames: [String] { ["0"] }
    var trainIndices: [Int] { Array(0..<count) }
    var testIndices: [Int] { [] }
    var batchSize: Int { 1 }
    func sample(_ index: Int) -> [Float] {
        var state = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
        return (0..<sampleShape.reduce(1, *)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
    }
    func label(_ index: Int) -> Int { 0 }
}

/// Feeds raw samples as the model's single input, batch 1.
struct PassThroughWrapper: ModelWrapper {
    let modelPath: String
    let inputShape: [Int]
    var format: ModelFormat { .onnx }
    var framework: FrameworkInfo { FrameworkInfo(name: "onnx", version: "") }
    func artifact() throws(KenningError) -> ModelArtifact {
        ModelArtifact(path: modelPath, format: .onnx, io: try ONNX.load(path: modelPath).ioSpec)
    }
    func preprocess(_ samples: [[Float]], sampleShape: [Int], io: IOSpec) throws(KenningError) -> [Tensor] {
        [Tensor(shape: [samples.count] + inputShape.dropFirst(), floats: samples.flatMap { $0 })]
    }
    func postprocess(_ outputs: [Tensor]) throws(KenningError) -> [[Float]] { [outputs[0].floats] }
}

func parse(_ args: ArraySlice<String>) -> Options {
    var o = Options()
    var it = args.makeIterator()
    while let a = it.next() {
        switch a {
        case "--backend":
            guard let v = it.next(), let b = NativeBackend(rawValue: v) else { fail("--backend needs one of \(NativeBackend.names)") }
            o.backend = b
        case "--threads":
            guard let v = it.next(), let n = Int(v), n > 0 else { fail("--threads needs a positive integer") }
            o.threads = n
        case "--profile": o.profile = true
        case "--digits": o.digits = true
        case "--samples":
            guard let v = it.next(), let n = Int(v), n > 0 else { fail("--samples needs a positive integer") }
            o.samples = n
        default: o.positional.append(a)
        }
    }
    return o
}

func load(_ path: String, _ o: Options) -> (Model, NativeSession, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    do {
        let model = try ONNX.load(path: path)
        let session = try NativeSession(model: model, threads: o.threads, backend: o.backend, profile: o.profile)
        return (model, session, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    } catch {
        fail("\(error)")
    }
}

let args = CommandLine.arguments
guard args.count >= 2 else { fail("usage: kenning-bench check|serve … (see the header of Benchmarks/kenning-bench/main.swift)") }
let options = parse(args.dropFirst(2))
switch args[1] {
case "check":
    guard options.positional.count == 4 else { fail("usage: kenning-bench check MODEL INPUT.f32 SHAPE REFERENCE.f32 [--backend B] [--threads N]") }
    let p = options.positional
    let (_, session, loadMs) = load(p[0], options)
    let x = Tensor(shape: parseShape(p[2]), floats: readFloats(p[1]))
    let reference = readFloats(p[3])
    let start = DispatchTime.now().uptimeNanoseconds
    let y: [Float]
    do { y = try session.run([x])[0].floats } catch { fail("\(error)") }
    let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    guard y.count == reference.count else { fail("output has \(y.count) values, reference \(reference.count)") }
    let maxAbs = zip(y, reference).map { abs($0 - $1) }.max() ?? 0
    let scale = reference.map { abs($0) }.max() ?? 1
    emit("{\"max_rel_error\": \(maxAbs / max(scale, 1e-30)), \"max_abs_error\": \(maxAbs), \"load_ms\": \(loadMs), \"first_run_ms\": \(ms)}")
case "quantize":
    guard options.positional.count == 2 else { fail("usage: kenning-bench quantize MODEL OUTPUT [--samples N] [--digits]") }
    let (source, output) = (options.positional[0], options.positional[1])
    do {
        let specs = NativeQuantizer.description.parameters
        let quantizer = try NativeQuantizer(try ResolvedParameters.resolve(.object([("compiled_model_path", .string(output)),
                                                                                    ("calibration_samples", .int(options.samples))]),
                                                                           specs: specs, blockName: "NativeQuantizer"))
        let context: OptimizationContext
        let artifact: ModelArtifact
        if options.digits {
            let dataset = try DigitsDataset(try ResolvedParameters.resolve(.object([("dataset_root", .string("data/digits"))]),
                                                                           specs: DigitsDataset.description.parameters, blockName: "DigitsDataset"))
            let wrapper = try ONNXImageClassifier(try ResolvedParameters.resolve(
                .object([("model_path", .string(source)), ("input_mean", .double(0)), ("input_std", .double(16))]),
                specs: ONNXImageClassifier.description.parameters, blockName: "ONNXImageClassifier"))
            context = OptimizationContext(dataset: dataset, modelWrapper: wrapper)
            artifact = try wrapper.artifact()
        } else {
            let model = try ONNX.load(path: source)
            let shape = (model.graph.runtimeInputs.first?.shape ?? []).map { $0.value ?? 1 }
            let wrapper = PassThroughWrapper(modelPath: source, inputShape: shape)
            context = OptimizationContext(dataset: RandomSamples(sampleShape: Array(shape.dropFirst()), count: options.samples), modelWrapper: wrapper)
            artifact = try wrapper.artifact()
        }
        _ = try quantizer.compile(artifact, context: context)
        emit("{\"quantized\": \"\(output)\"}")
    } catch {
        fail("\(error)")
    }
case "serve":
    guard options.positional.count == 2 else { fail("usage: kenning-bench serve MODEL SHAPE [--backend B] [--threads N]") }
    let shape = parseShape(options.positional[1])
    let (model, session, loadMs) = load(options.positional[0], options)
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    let count = shape.reduce(1, *)
    let values = (0..<count).map { _ -> Float in
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1
    }
    let x = Tensor(shape: shape, floats: values)
    let inputName = model.graph.runtimeInputs.first?.name ?? ""
    emit("{\"ready\": true, \"conv_gflop\": \(denseGFLOP(model, input: inputName, shape: shape)), \"load_ms\": \(loadMs)}")
    while let line = readLine() {
        let words = line.split(separator: " ")
        switch words.first {
        case "run":
            let k = words.count > 1 ? Int(words[1]) ?? 1 : 1
            var times: [Double] = []
            for _ in 0..<k {
                let start = DispatchTime.now().uptimeNanoseconds
                do { _ = try session.run([x]) } catch { fail("\(error)") }
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            emit("{\"ms\": [" + times.map { String(format: "%.4f", $0) }.joined(separator: ", ") + "]}")
        case "profile":
            FileHandle.standardError.write(Data((session.profileReport() + "\n").utf8))
            emit("{\"ok\": true}")
        case "quit":
            exit(0)
        default:
            emit("{\"error\": \"unknown command\"}")
        }
    }
default:
    fail("unknown command \(args[1]); use check or serve")
}
