import KenningCore
import KenningModel

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

    /// MatMul with a constant 2-D B; the native runtime's fused form adds a bias (`bias`) and an activation.
    static func matmul(node: Node, b: Tensor, bias: Tensor? = nil, activation: Activation = .none) -> DenseSpec? {
        guard b.shape.count == 2 else { return nil }
        let (k, n) = (b.shape[0], b.shape[1])
        if let bias, bias.count != n { return nil }
        return DenseSpec(label: node.label, weights: transpose2D(b.floats, rows: k, cols: n), bias: bias?.floats, inFeatures: k, outFeatures: n,
                         activation: activation, keepsLeadingDims: true)
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
