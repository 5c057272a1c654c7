import KenningCore
import KenningModel

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

/// A convolution's attributes and constant weights, read once when the model is planned.
struct ConvSpec {
    let label: String
    /// OIHW weights.
    let weights: [Float]
    let bias: [Float]?
    let outChannels: Int, inChannelsPerGroup: Int, kernelH: Int, kernelW: Int, group: Int
    let strides: [Int], dilations: [Int], pads: [Int], autoPad: String
    let activation: Activation
    /// The node has a residual input Z (ONNX Runtime FusedConv), added before the activation.
    let hasResidual: Bool

    var isDepthwise: Bool { group > 1 && inChannelsPerGroup == 1 && outChannels == group }

    init(node: Node, weights w: Tensor, bias b: Tensor?, activation: Activation) throws {
        guard w.shape.count == 4 else { throw KernelError(reason: "only 2-D convolution is supported, weight shape \(w.shape)") }
        label = node.label
        weights = w.floats
        bias = b?.floats
        (outChannels, inChannelsPerGroup, kernelH, kernelW) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        group = node.int("group", default: 1)
        strides = node.ints("strides") ?? [1, 1]
        dilations = node.ints("dilations") ?? [1, 1]
        pads = node.ints("pads") ?? [0, 0, 0, 0]
        autoPad = node.string("auto_pad") ?? "NOTSET"
        self.activation = activation
        hasResidual = node.inputs.count > 3 && !node.inputs[3].isEmpty
        guard group > 0, outChannels % group == 0, strides.count == 2, dilations.count == 2, pads.count == 4 else {
            throw KernelError(reason: "unsupported convolution attributes (group \(group), strides \(strides), dilations \(dilations), pads \(pads))")
        }
        if let bias, bias.count != outChannels { throw KernelError(reason: "bias has \(bias.count) values, expected \(outChannels)") }
    }

    /// Sizes and padding for one input shape.
    func geometry(_ x: [Int]) throws -> ConvGeometry {
        guard x.count == 4, x[1] == inChannelsPerGroup * group else {
            throw KernelError(reason: "input \(x) does not fit weights [\(outChannels), \(inChannelsPerGroup), \(kernelH), \(kernelW)] with group \(group)")
        }
        let hy = spatialOutput(input: x[2], kernel: kernelH, stride: strides[0], dilation: dilations[0], padBegin: pads[0], padEnd: pads[2], autoPad: autoPad)
        let wx = spatialOutput(input: x[3], kernel: kernelW, stride: strides[1], dilation: dilations[1], padBegin: pads[1], padEnd: pads[3], autoPad: autoPad)
        guard hy.out > 0, wx.out > 0 else { throw KernelError(reason: "output would be empty for input \(x)") }
        return ConvGeometry(n: x[0], c: x[1], h: x[2], w: x[3], m: outChannels, oh: hy.out, ow: wx.out,
                            padTop: hy.begin, padLeft: wx.begin, padBottom: hy.end, padRight: wx.end)
    }
}

struct ConvGeometry: Hashable {
    let n, c, h, w, m, oh, ow, padTop, padLeft, padBottom, padRight: Int
    var outputShape: [Int] { [n, m, oh, ow] }
}

/// A fully connected layer `Y = act(X · Wᵀ + b)` with constant weights, from Gemm (constant B, C broadcast over rows)
/// or MatMul (constant 2-D B; leading dimensions of A are flattened into rows).
struct DenseSpec {
    let label: String
    /// [outFeatures, inFeatures] row-major, alpha folded in.
    let weights: [Float]
    /// beta·C folded, or nil.
    let bias: [Float]?
    let inFeatures: Int, outFeatures: Int
    let activation: Activation
    /// MatMul keeps A's leading dimensions; Gemm wants a 2-D A.
    let keepsLeadingDims: Bool

    /// nil when the node does not have this form (it then runs on the reference kernel).
    static func gemm(node: Node, b: Tensor, c: Tensor?, activation: Activation) -> DenseSpec? {
        guard b.shape.count == 2, node.int("transA", default: 0) == 0 else { return nil }
        let tb = node.int("transB", default: 0) == 1
        let alpha = node.float("alpha", default: 1), beta = node.float("beta", default: 1)
        let (k, n) = tb ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        var w = tb ? b.floats : transpose2D(b.floats, rows: k, cols: n)
        if alpha != 1 { for i in w.indices { w[i] *= alpha } }
        var bias: [Float]? = nil
        if let c {
            let cv = c.floats
            if cv.count == n, c.shape.last == n || c.shape == [n], c.shape.dropLast().allSatisfy({ $0 == 1 }) {
                bias = cv.map { $0 * beta }
            } else if cv.count == 1 {
                bias = [Float](repeating: cv[0] * beta, count: n)
            } else {
                return nil
            }
        }
        return DenseSpec(label: node.label, weights: w, bias: bias, inFeatures: k, outFeatures: n, activation: activation, keepsLeadingDims: false)
    }

    static func matmul(node: Node, b: Tensor) -> DenseSpec? {
        guard b.shape.count == 2 else { return nil }
        let (k, n) = (b.shape[0], b.shape[1])
        return DenseSpec(label: node.label, weights: transpose2D(b.floats, rows: k, cols: n), bias: nil, inFeatures: k, outFeatures: n,
                         activation: .none, keepsLeadingDims: true)
    }

    /// Rows of X and the output shape for one input shape.
    func rows(_ x: [Int]) throws -> (rows: Int, outputShape: [Int]) {
        if keepsLeadingDims {
            guard x.count >= 2, x.last == inFeatures else { throw KernelError(reason: "input \(x) does not have \(inFeatures) features") }
            return (x.dropLast().reduce(1, *), Array(x.dropLast()) + [outFeatures])
        }
        guard x.count == 2, x[1] == inFeatures else { throw KernelError(reason: "input \(x) is not [rows, \(inFeatures)]") }
        return (x[0], [x[0], outFeatures])
    }
}

func transpose2D(_ v: [Float], rows: Int, cols: Int) -> [Float] {
    var out = [Float](repeating: 0, count: v.count)
    for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = v[r * cols + c] } }
    return out
}

/// A heavy operator prepared by a backend: weights packed once, primitives cached per input shape.
protocol PlannedOperator: AnyObject {
    /// `residual` (convolutions only) is added before the activation; it has the output's shape and layout.
    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor
}

/// A backend's factory for planned operators; nil means "not this form, use the reference kernel".
protocol OperatorFactory: AnyObject {
    /// True when the library's convolutions work on channels-last data; the session then keeps activations
    /// channels-last between them and converts only at NCHW-only operators.
    var prefersChannelsLast: Bool { get }
    /// A convolution reading and writing the given layouts (channels-last when true, NCHW otherwise).
    func conv(_ spec: ConvSpec, inputChannelsLast: Bool, outputChannelsLast: Bool) throws -> (any PlannedOperator)?
    func dense(_ spec: DenseSpec) throws -> (any PlannedOperator)?
    /// Called once before each inference (thread-count settings that are global in the C library).
    func prepareRun()
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
