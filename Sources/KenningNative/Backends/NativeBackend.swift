import KenningCore
import KenningModel

func transpose2D(_ v: [Float], rows: Int, cols: Int) -> [Float] {
    var out = [Float](repeating: 0, count: v.count)
    for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = v[r * cols + c] } }
    return out
}
/// Builds `[Float]` of `count` values written by `body` (no zero fill).
@inline(__always)
func makeFloats(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> [Float] {
    try [Float](unsafeUninitializedCapacity: count) { buf, n in
        try body(buf.baseAddress!)
        n = count
    }
}
/// Adds per-channel bias and applies the activation in place over `planes` planes of `size` values (NCHW).
func biasActivation(_ p: UnsafeMutablePointer<Float>, bias: [Float]?, residual: [Float]? = nil, activation: Activation, batch: Int,
                    channels: Int, size: Int, threads: Int)
{
    if let residual {
        residual.withUnsafeBufferPointer { r in for i in 0..<(batch * channels * size) { p[i] += r[i] } }
    }
    if bias == nil && activation == .none { return }
    let zero = [Float](repeating: 0, count: channels)
    let b = bias ?? zero
    b.withUnsafeBufferPointer { bp in
        parallelFor(batch * channels, threads: batch * channels * size >= 32768 ? threads : 1) { range in
            for plane in range {
                let v = bp[plane % channels]
                let q = p + plane * size
                switch activation {
                case .none: for i in 0..<size { q[i] += v }
                case .relu: for i in 0..<size { q[i] = max(q[i] + v, 0) }
                case let .clip(lo, hi): for i in 0..<size { q[i] = min(max(q[i] + v, lo), hi) }
                default: for i in 0..<size { q[i] = activation.apply(q[i] + v) }
                }
            }
        }
    }
}

/// The kernel library behind the native runtime's heavy operators (Conv, FusedConv, Gemm, FusedGemm, MatMul).
///
/// Every other operator runs on the plain-Swift reference kernels whatever the backend.
/// - `reference`: plain Swift for everything; the correctness oracle.
/// - `openblas`: im2col + `cblas_sgemm` (depthwise convolution stays on the Swift kernel).
/// - `onednn`: oneDNN 2.x primitives (JIT AVX2/AVX-512 convolutions and inner products).
/// - `xnnpack`: XNNPACK operators (NHWC convolutions and fully connected layers).
/// - `auto`: the fastest measured fp32 backend on this kind of machine (oneDNN).
public enum NativeBackend: String, CaseIterable, Sendable {
    case reference, openblas, onednn, xnnpack, auto

    /// The concrete backend `auto` stands for.
    public var resolved: NativeBackend { self == .auto ? .onednn : self }

    /// Parameter values, in the order `kenning info NativeRuntime` lists them.
    public static var names: [String] { allCases.map(\.rawValue) }
}
