import Foundation
import KenningCore
import KenningModel

/// Reference kernels: element-wise math, comparisons, logic and selection.
extension ReferenceOps {
    /// Element-wise float functions of one input, with their attributes read once.
    static let unaryMath: [String: @Sendable (Node) -> @Sendable (Float) -> Float] = [
        "HardSigmoid": { node in
            let alpha = node.float("alpha", default: 0.2), beta = node.float("beta", default: 0.5)
            return { min(max(alpha * $0 + beta, 0), 1) }
        },
        "HardSwish": { _ in { $0 * min(max($0 / 6 + 0.5, 0), 1) } },
        "Elu": { node in
            let alpha = node.float("alpha", default: 1)
            return { $0 >= 0 ? $0 : alpha * (expf($0) - 1) }
        },
        "Selu": { node in
            let alpha = node.float("alpha", default: 1.67326319217681884765625)
            let gamma = node.float("gamma", default: 1.05070102214813232421875)
            return { gamma * ($0 > 0 ? $0 : alpha * (expf($0) - 1)) }
        },
        "Celu": { node in
            let alpha = node.float("alpha", default: 1)
            return { max(0, $0) + min(0, alpha * (expf($0 / alpha) - 1)) }
        },
        "ThresholdedRelu": { node in
            let alpha = node.float("alpha", default: 1)
            return { $0 > alpha ? $0 : 0 }
        },
        "Softplus": { _ in { $0 > 20 ? $0 : log1pf(expf($0)) } },
        "Softsign": { _ in { $0 / (1 + abs($0)) } },
        "Mish": { _ in { $0 * tanhf($0 > 20 ? $0 : log1pf(expf($0))) } },
        "Gelu": { node in
            if node.string("approximate") == "tanh" {
                return { 0.5 * $0 * (1 + tanhf(0.7978845608 * ($0 + 0.044715 * $0 * $0 * $0))) }
            }
            return { 0.5 * $0 * (1 + erff($0 * 0.70710678118654752)) }
        },
        "Exp": { _ in { expf($0) } },
        "Log": { _ in { logf($0) } },
        "Sqrt": { _ in { sqrtf($0) } },
        "Reciprocal": { _ in { 1 / $0 } },
        "Floor": { _ in { floorf($0) } },
        "Ceil": { _ in { ceilf($0) } },
        "Round": { _ in { $0.rounded(.toNearestOrEven) } },
        "Erf": { _ in { erff($0) } },
        "Sin": { _ in { sinf($0) } },
        "Cos": { _ in { cosf($0) } },
        "Tan": { _ in { tanf($0) } },
        "Atan": { _ in { atanf($0) } },
        "Sign": { _ in { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 } },
    ]

    static func registerMath(_ table: inout Table) {
        for (op, make) in unaryMath {
            table.add(op) { node, _ in
                let f = make(node)
                return { a in [Kernels.unary(try required(a, 0, "X"), f)] }
            }
        }
        table.add("IsNaN") { _, _ in
            { a in
                let x = try required(a, 0, "X")
                return [Tensor(shape: x.shape, ints: x.floats.map { $0.isNaN ? 1 : 0 })]
            }
        }
        table.add("Neg") { _, _ in { a in [Kernels.keepingIntegers(try required(a, 0, "X"), { -$0 }, { -$0 })] } }
        table.add("Abs") { _, _ in { a in [Kernels.keepingIntegers(try required(a, 0, "X"), { abs($0) }, { abs($0) })] } }
        table.add("Pow") { _, _ in
            { a in
                let x = try required(a, 0, "X"), y = try required(a, 1, "Y")
                let exponent = y.count == 1 ? y.floats[0] : nil
                if let exponent, exponent == 2 { return [Kernels.unary(x) { $0 * $0 }] }
                if let exponent, exponent == 0.5 { return [Kernels.unary(x) { sqrtf($0) }] }
                return [try Kernels.broadcasting(x, y) { powf($0, $1) }]
            }
        }
        table.add("PRelu") { _, _ in
            { a in [try Kernels.broadcasting(try required(a, 0, "X"), try required(a, 1, "slope")) { $0 >= 0 ? $0 : $0 * $1 }] }
        }
        table.add("Mod") { node, _ in
            let fmod = node.int("fmod", default: 0) == 1
            return { a in
                let x = try required(a, 0, "A"), y = try required(a, 1, "B")
                let r = try Kernels.broadcasting(x, y) { a, b in
                    if fmod { return fmodf(a, b) }
                    let m = fmodf(a, b)
                    return m != 0 && (m < 0) != (b < 0) ? m + b : m
                }
                return [x.elementType == .float32 ? r : Tensor(shape: r.shape, ints: r.ints)]
            }
        }
        let comparisons: [String: @Sendable (Float, Float) -> Bool] = [
            "Equal": { $0 == $1 }, "Less": { $0 < $1 }, "Greater": { $0 > $1 },
            "LessOrEqual": { $0 <= $1 }, "GreaterOrEqual": { $0 >= $1 },
            "And": { $0 != 0 && $1 != 0 }, "Or": { $0 != 0 || $1 != 0 }, "Xor": { ($0 != 0) != ($1 != 0) },
        ]
        for (op, test) in comparisons {
            table.add(op) { _, _ in
                { a in
                    let r = try Kernels.broadcasting(try required(a, 0, "A"), try required(a, 1, "B")) { test($0, $1) ? 1 : 0 }
                    return [Tensor(shape: r.shape, ints: r.ints)]
                }
            }
        }
        table.add("Not") { _, _ in { a in [Tensor(shape: try required(a, 0, "X").shape, ints: try required(a, 0, "X").ints.map { $0 == 0 ? 1 : 0 })] } }
        table.add("Where") { _, _ in
            { a in
                let condition = try required(a, 0, "condition"), x = try required(a, 1, "X"), y = try required(a, 2, "Y")
                let shape = try Kernels.broadcastShape(try Kernels.broadcastShape(condition.shape, x.shape), y.shape)
                let count = shape.reduce(1, *)
                let c = try Kernels.broadcastTo(condition, shape: shape)
                let xs = Kernels.broadcastCopy(x, to: shape), ys = Kernels.broadcastCopy(y, to: shape)
                // Every chosen element is taken from X or Y by position, so the element type of X is kept.
                let merged = x.elementType == y.elementType ? xs.appending(ys) : Tensor(shape: [2 * count], floats: xs.floats + ys.floats)
                let picks = (0..<count).map { c[$0] != 0 ? $0 : count + $0 }
                return [merged.picking(picks, shape: shape)]
            }
        }
    }
}

extension Kernels {
    /// `f` over the broadcast of `a` and `b`, as floats.
    static func broadcasting(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) throws -> Tensor {
        let shape = try broadcastShape(a.shape, b.shape)
        let av = try broadcastTo(a, shape: shape), bv = try broadcastTo(b, shape: shape)
        return Tensor(shape: shape, floats: zip(av, bv).map(f))
    }

    /// `f` on float tensors, `g` on integer ones (the element type is kept).
    static func keepingIntegers(_ x: Tensor, _ f: (Float) -> Float, _ g: (Int64) -> Int64) -> Tensor {
        if case let .int64(v) = x.storage { return Tensor(shape: x.shape, ints: v.map(g)) }
        return unary(x, f)
    }
}

extension Tensor {
    /// This tensor's elements followed by `other`'s, flat, in this tensor's element type.
    func appending(_ other: Tensor) -> Tensor {
        switch (storage, other.storage) {
        case let (.int64(a), .int64(b)): return Tensor(shape: [a.count + b.count], ints: a + b)
        case let (.int8(a), .int8(b)): return Tensor(shape: [a.count + b.count], int8s: a + b)
        case let (.int32(a), .int32(b)): return Tensor(shape: [a.count + b.count], int32s: a + b)
        default: return Tensor(shape: [count + other.count], floats: floats + other.floats)
        }
    }
}
