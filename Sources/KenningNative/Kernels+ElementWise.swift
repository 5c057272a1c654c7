import Dispatch
import Foundation
import KenningCore
import KenningModel

/// Reference kernels: broadcasting element-wise.
extension Kernels {

    static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        return try (0..<rank).map { i in
            if pa[i] == pb[i] || pb[i] == 1 { return pa[i] }
            if pa[i] == 1 { return pb[i] }
            throw KernelError(reason: "shapes \(a) and \(b) cannot be broadcast together")
        }
    }

    static func broadcastTo(_ t: Tensor, shape: [Int]) throws -> [Float] {
        let v = t.floats
        if t.shape == shape { return v }
        let total = shape.reduce(1, *)
        if v.count == 1 { return [Float](repeating: v[0], count: total) }
        let rank = shape.count
        guard t.shape.count <= rank else { throw KernelError(reason: "cannot broadcast \(t.shape) to \(shape)") }
        let padded = Array(repeating: 1, count: rank - t.shape.count) + t.shape
        var strides = [Int](repeating: 0, count: rank)
        var s = 1
        for i in stride(from: rank - 1, through: 0, by: -1) {
            if padded[i] == shape[i] { strides[i] = s } else if padded[i] == 1 { strides[i] = 0 } else {
                throw KernelError(reason: "cannot broadcast \(t.shape) to \(shape)")
            }
            s *= padded[i]
        }
        return IndexWalk.affine(shape: shape, base: 0, strides: strides).map { v[$0] }
    }

    static func binary(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) throws -> Tensor {
        if case .int64 = a.storage, case .int64 = b.storage {
            let shape = try broadcastShape(a.shape, b.shape)
            let av = try broadcastTo(a, shape: shape), bv = try broadcastTo(b, shape: shape)
            return Tensor(shape: shape, ints: zip(av, bv).map { Int64(op.apply($0, $1)) })
        }
        let shape = try broadcastShape(a.shape, b.shape)
        let count = shape.reduce(1, *)
        let av = a.floats, bv = b.floats
        // Fast paths: equal shapes, a scalar operand, and a per-channel operand ([C,1,1] or [1,C,1,1]) on NCHW data.
        if a.shape == shape, b.shape == shape || bv.count == 1 || channelwise(b.shape, of: shape) {
            return Tensor(shape: shape, floats: combine(av, bv, shape: shape, op, swapped: false))
        }
        if b.shape == shape, av.count == 1 || channelwise(a.shape, of: shape) {
            return Tensor(shape: shape, floats: combine(bv, av, shape: shape, op, swapped: true))
        }
        let ab = try broadcastTo(a, shape: shape), bb = try broadcastTo(b, shape: shape)
        let out = makeFloats(count) { o in for i in 0..<count { o[i] = op.apply(ab[i], bb[i]) } }
        return Tensor(shape: shape, floats: out)
    }

    /// True when `s` holds one value per channel (axis 1) of `shape`.
    static func channelwise(_ s: [Int], of shape: [Int]) -> Bool {
        guard shape.count >= 2 else { return false }
        let padded = Array(repeating: 1, count: max(0, shape.count - s.count)) + s
        return padded.count == shape.count && padded[1] == shape[1]
            && padded.enumerated().allSatisfy { $0.offset == 1 || $0.element == 1 }
    }

    /// `full ∘ other` where `other` has the same count, one value, or one value per channel.
    static func combine(_ full: [Float], _ other: [Float], shape: [Int], _ op: BinaryOp, swapped: Bool) -> [Float] {
        let count = full.count
        let channels = shape.count >= 2 ? shape[1] : 1
        let inner = shape.count >= 2 ? shape.dropFirst(2).reduce(1, *) : 1
        return makeFloats(count) { o in
            full.withUnsafeBufferPointer { f in
                other.withUnsafeBufferPointer { g in
                    if g.count == count {
                        switch (op, swapped) {
                        case (.add, _): for i in 0..<count { o[i] = f[i] + g[i] }
                        case (.mul, _): for i in 0..<count { o[i] = f[i] * g[i] }
                        case (_, false): for i in 0..<count { o[i] = op.apply(f[i], g[i]) }
                        case (_, true): for i in 0..<count { o[i] = op.apply(g[i], f[i]) }
                        }
                    } else {
                        let per = g.count == 1 ? count : inner
                        for block in 0..<(count / per) {
                            let v = g.count == 1 ? g[0] : g[block % channels]
                            let base = block * per
                            switch (op, swapped) {
                            case (.add, _): for i in base..<(base + per) { o[i] = f[i] + v }
                            case (.mul, _): for i in base..<(base + per) { o[i] = f[i] * v }
                            case (_, false): for i in base..<(base + per) { o[i] = op.apply(f[i], v) }
                            case (_, true): for i in base..<(base + per) { o[i] = op.apply(v, f[i]) }
                            }
                        }
                    }
                }
            }
        }
    }

    static func relu(_ x: Tensor) -> Tensor {
        let v = x.floats
        return Tensor(shape: x.shape, floats: makeFloats(v.count) { o in
            v.withUnsafeBufferPointer { p in for i in 0..<v.count { o[i] = max(p[i], 0) } }
        })
    }

    /// Local response normalization across channels (NCHW).
    static func lrn(_ x: Tensor, size: Int, alpha: Float, beta: Float, bias: Float) throws -> Tensor {
        guard x.shape.count >= 3 else { throw KernelError(reason: "LRN needs an input of rank ≥ 3, got \(x.shape)") }
        let (n, c) = (x.shape[0], x.shape[1])
        let inner = x.shape.dropFirst(2).reduce(1, *)
        let before = (size - 1) / 2, after = size - 1 - before
        let v = x.floats
        let scale = alpha / Float(size)
        let out = makeFloats(v.count) { o in
            v.withUnsafeBufferPointer { p in
                var sums = [Float](repeating: 0, count: inner)
                for img in 0..<n {
                    for ch in 0..<c {
                        for i in 0..<inner { sums[i] = 0 }
                        for k in max(0, ch - before)...min(c - 1, ch + after) {
                            let q = p.baseAddress! + (img * c + k) * inner
                            for i in 0..<inner { sums[i] += q[i] * q[i] }
                        }
                        let base = (img * c + ch) * inner
                        for i in 0..<inner { o[base + i] = p[base + i] / powf(bias + scale * sums[i], beta) }
                    }
                }
            }
        }
        return Tensor(shape: x.shape, floats: out)
    }

    /// ONNX Gather: picks slices of `data` along `axis` (negative indices count from the end).
    static func gather(_ data: Tensor, indices: Tensor, axis: Int) throws -> Tensor {
        let rank = data.shape.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank else { throw KernelError(reason: "axis \(axis) out of range for shape \(data.shape)") }
        let dim = data.shape[ax]
        let idx = try indices.ints.map { i -> Int in
            let j = Int(i) < 0 ? Int(i) + dim : Int(i)
            guard j >= 0, j < dim else { throw KernelError(reason: "index \(i) out of range for axis of size \(dim)") }
            return j
        }
        let outer = data.shape.prefix(ax).reduce(1, *), inner = data.shape.suffix(from: ax + 1).reduce(1, *)
        let shape = Array(data.shape.prefix(ax)) + indices.shape + Array(data.shape.suffix(from: ax + 1))
        func pick<T>(_ v: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(outer * idx.count * inner)
            for o in 0..<outer { for j in idx { out.append(contentsOf: v[((o * dim + j) * inner)..<((o * dim + j + 1) * inner)]) } }
            return out
        }
        if case let .int64(v) = data.storage { return Tensor(shape: shape, ints: pick(v)) }
        return Tensor(shape: shape, floats: pick(data.floats))
    }
}
