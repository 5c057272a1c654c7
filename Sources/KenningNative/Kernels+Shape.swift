import Dispatch
import Foundation
import KenningCore
import KenningModel

/// Reference kernels: shape manipulation.
extension Kernels {

    static func reshape(_ x: Tensor, to spec: [Int64], allowZero: Bool) throws -> Tensor {
        var shape = spec.map { Int($0) }
        for i in shape.indices where shape[i] == 0 && !allowZero {
            guard i < x.shape.count else { throw KernelError(reason: "shape \(spec) copies dimension \(i) that \(x.shape) does not have") }
            shape[i] = x.shape[i]
        }
        let unknown = shape.indices.filter { shape[$0] == -1 }
        guard unknown.count <= 1 else { throw KernelError(reason: "shape \(spec) has more than one -1") }
        if let u = unknown.first {
            let known = shape.enumerated().filter { $0.offset != u }.map(\.element).reduce(1, *)
            guard known > 0, x.count % known == 0 else { throw KernelError(reason: "cannot reshape \(x.shape) to \(spec)") }
            shape[u] = x.count / known
        }
        guard shape.reduce(1, *) == x.count else { throw KernelError(reason: "cannot reshape \(x.shape) (\(x.count) values) to \(spec)") }
        var y = x
        y.shape = shape
        return y
    }

    static func transpose(_ x: Tensor, perm: [Int]?) throws -> Tensor {
        let p = perm ?? Array((0..<x.shape.count).reversed())
        guard let y = x.permuted(p) else { throw KernelError(reason: "perm \(p) is not a permutation of \(x.shape.count) axes") }
        return y
    }

    static func concat(_ xs: [Tensor], axis: Int) throws -> Tensor {
        guard let first = xs.first else { throw KernelError(reason: "Concat needs at least one input") }
        let rank = first.shape.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank else { throw KernelError(reason: "axis \(axis) out of range for rank \(rank)") }
        for t in xs where t.shape.count != rank || (0..<rank).contains(where: { $0 != ax && t.shape[$0] != first.shape[$0] }) {
            throw KernelError(reason: "inputs \(xs.map(\.shape)) differ outside axis \(ax)")
        }
        let outer = first.shape.prefix(ax).reduce(1, *)
        let inner = first.shape.suffix(from: ax + 1).reduce(1, *)
        var shape = first.shape
        shape[ax] = xs.reduce(0) { $0 + $1.shape[ax] }
        if xs.allSatisfy({ if case .int64 = $0.storage { return true } else { return false } }) {
            var ints: [Int64] = []
            for o in 0..<outer {
                for t in xs {
                    let chunk = t.shape[ax] * inner
                    ints.append(contentsOf: t.ints[(o * chunk)..<((o + 1) * chunk)])
                }
            }
            return Tensor(shape: shape, ints: ints)
        }
        var out: [Float] = []
        out.reserveCapacity(xs.reduce(0) { $0 + $1.count })
        let values = xs.map(\.floats)
        for o in 0..<outer {
            for (t, v) in zip(xs, values) {
                let chunk = t.shape[ax] * inner
                out.append(contentsOf: v[(o * chunk)..<((o + 1) * chunk)])
            }
        }
        return Tensor(shape: shape, floats: out)
    }
}
