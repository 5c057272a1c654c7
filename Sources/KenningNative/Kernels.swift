import Dispatch
import Foundation
import KenningCore
import KenningModel

/// Runs `body(chunk)` for `count` items split over `threads` workers.
@inline(__always)
func parallelFor(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 { body(0..<count); return }
    // Workers write disjoint ranges of the caller's buffers; the closure is only used during this call.
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = count * w / workers, hi = count * (w + 1) / workers
            if lo < hi { work(lo..<hi) }
        }
    }
}
/// Output size and padding of one spatial axis, following ONNX's auto_pad rules.
func spatialOutput(input: Int, kernel: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int, autoPad: String,
                   ceilMode: Bool = false) -> (out: Int, begin: Int, end: Int)
{
    let effective = (kernel - 1) * dilation + 1
    switch autoPad {
    case "SAME_UPPER", "SAME_LOWER":
        let out = (input + stride - 1) / stride
        let total = max(0, (out - 1) * stride + effective - input)
        let small = total / 2, large = total - small
        return autoPad == "SAME_UPPER" ? (out, small, large) : (out, large, small)
    case "VALID":
        return ((input - effective) / stride + 1, 0, 0)
    default:
        let span = input + padBegin + padEnd - effective
        var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode, (out - 1) * stride >= input + padBegin { out -= 1 }
        return (out, padBegin, padEnd)
    }
}

/// The plain-Swift reference kernels, the correctness oracle for every op; one extension per family of ops
/// (`Kernels+Convolution.swift`, `+Pooling`, `+Dense`, `+Activations`, `+ElementWise`, `+Shape`, `KernelsQuantized.swift`).
enum Kernels {}
