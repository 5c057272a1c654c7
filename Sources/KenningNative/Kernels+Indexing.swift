import Foundation
import KenningCore
import KenningModel

/// Reference kernels: slices, pads, broadcasting copies, depth/space rearrangement, arg-extremes and reductions.
extension Kernels {
    /// `axis` made non-negative for `rank`, or an error naming it.
    static func axis(_ axis: Int, rank: Int) throws -> Int {
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank else { throw KernelError(reason: "axis \(axis) is out of range for rank \(rank)") }
        return ax
    }

    /// ONNX Slice: starts and ends clamped per axis, negative values counted from the end, any non-zero step.
    static func slice(_ x: Tensor, starts: [Int], ends: [Int], axes: [Int], steps: [Int]) throws -> Tensor {
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw KernelError(reason: "Slice needs as many starts, ends, axes and steps (\(starts.count), \(ends.count), \(axes.count), \(steps.count))")
        }
        let rank = x.shape.count
        var begin = [Int](repeating: 0, count: rank), step = [Int](repeating: 1, count: rank), shape = x.shape
        for (i, axis) in axes.enumerated() {
            let ax = try self.axis(axis, rank: rank)
            let dim = x.shape[ax], s = steps[i]
            guard s != 0 else { throw KernelError(reason: "Slice step 0 on axis \(axis)") }
            var start = starts[i] < 0 ? starts[i] &+ dim : starts[i]
            var end = ends[i] < 0 ? ends[i] &+ dim : ends[i]
            if s > 0 {
                start = min(max(start, 0), dim)
                end = min(max(end, 0), dim)
                shape[ax] = end > start ? (end - start + s - 1) / s : 0
            } else {
                start = min(max(start, 0), dim - 1)
                end = min(max(end, -1), dim - 1)
                shape[ax] = start > end ? (start - end - s - 1) / -s : 0
            }
            begin[ax] = start
            step[ax] = s
        }
        let strides = Tensor.strides(of: x.shape)
        let base = (0..<rank).reduce(0) { $0 + begin[$1] * strides[$1] }
        return x.picking(IndexWalk.affine(shape: shape, base: base, strides: (0..<rank).map { step[$0] * strides[$0] }), shape: shape)
    }

    /// ONNX Pad in constant, reflect, edge or wrap mode; `pads` is `[begin_0 … begin_r, end_0 … end_r]`, negative pads crop.
    static func pad(_ x: Tensor, pads: [Int], mode: String, value: Float) throws -> Tensor {
        let rank = x.shape.count
        guard pads.count == 2 * rank else { throw KernelError(reason: "pads \(pads) do not fit rank \(rank)") }
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else { throw KernelError(reason: "Pad mode \"\(mode)\" is not supported") }
        let shape = (0..<rank).map { x.shape[$0] + pads[$0] + pads[$0 + rank] }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw KernelError(reason: "pads \(pads) crop \(x.shape) below zero") }
        if mode == "reflect", zip(x.shape, (0..<rank)).contains(where: { d, i in d < 2 && (pads[i] > 0 || pads[i + rank] > 0) }) {
            throw KernelError(reason: "reflect padding needs at least 2 elements on every padded axis of \(x.shape)")
        }
        let strides = Tensor.strides(of: x.shape)
        let offsets = IndexWalk.mapped(shape: shape) { index in
            var offset = 0
            for d in 0..<rank {
                var i = index[d] - pads[d]
                let n = x.shape[d]
                if i < 0 || i >= n {
                    switch mode {
                    case "edge": i = min(max(i, 0), n - 1)
                    case "wrap": i = ((i % n) + n) % n
                    case "reflect":
                        let period = 2 * (n - 1)
                        i = ((i % period) + period) % period
                        if i >= n { i = period - i }
                    default: return -1
                    }
                }
                offset += i * strides[d]
            }
            return offset
        }
        return x.picking(offsets, shape: shape, fill: Double(value))
    }

    /// `x` repeated along its size-1 (or missing leading) axes to `shape`.
    static func broadcastCopy(_ x: Tensor, to shape: [Int]) -> Tensor {
        let padded = Array(repeating: 1, count: shape.count - x.shape.count) + x.shape
        let own = Tensor.strides(of: padded)
        return x.picking(IndexWalk.affine(shape: shape, base: 0, strides: (0..<shape.count).map { padded[$0] == 1 ? 0 : own[$0] }), shape: shape)
    }

    /// DepthToSpace (DCR or CRD order) and SpaceToDepth on NCHW data.
    static func depthSpace(_ x: Tensor, block b: Int, toSpace: Bool, crd: Bool) throws -> Tensor {
        guard x.shape.count == 4, b > 0 else { throw KernelError(reason: "needs a 4-D input and a positive blocksize") }
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        if toSpace {
            guard c % (b * b) == 0 else { throw KernelError(reason: "channels \(c) are not a multiple of blocksize² \(b * b)") }
            let oc = c / (b * b)
            // DCR views the channels as [b, b, oc], CRD as [oc, b, b].
            let shape = [n, oc, h * b, w * b]
            return x.picking(IndexWalk.mapped(shape: shape) { i in
                let (y, by) = (i[2] / b, i[2] % b), (xx, bx) = (i[3] / b, i[3] % b)
                let channel = crd ? (i[1] * b + by) * b + bx : (by * b + bx) * oc + i[1]
                return ((i[0] * c + channel) * h + y) * w + xx
            }, shape: shape)
        }
        guard h % b == 0, w % b == 0 else { throw KernelError(reason: "spatial size \(h)×\(w) is not a multiple of blocksize \(b)") }
        let shape = [n, c * b * b, h / b, w / b]
        return x.picking(IndexWalk.mapped(shape: shape) { i in
            let (block, channel) = (i[1] / c, i[1] % c)
            let (by, bx) = (block / b, block % b)
            return ((i[0] * c + channel) * h + i[2] * b + by) * w + i[3] * b + bx
        }, shape: shape)
    }

    /// Index of the largest (or smallest) element along `axis`, as int64.
    static func argExtreme(_ x: Tensor, axis: Int, keepDims: Bool, isMax: Bool, last: Bool) throws -> Tensor {
        let ax = try self.axis(axis, rank: x.shape.count)
        let outer = x.shape.prefix(ax).reduce(1, *), dim = x.shape[ax], inner = x.shape.suffix(from: ax + 1).reduce(1, *)
        guard dim > 0 else { throw KernelError(reason: "arg-extreme over an empty axis of \(x.shape)") }
        let v = x.floats
        var out = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0, bestValue = v[o * dim * inner + i]
                for k in 1..<max(1, dim) {
                    let value = v[(o * dim + k) * inner + i]
                    let better = isMax ? (last ? value >= bestValue : value > bestValue) : (last ? value <= bestValue : value < bestValue)
                    if better { (best, bestValue) = (k, value) }
                }
                out[o * inner + i] = Int64(best)
            }
        }
        var shape = x.shape
        if keepDims { shape[ax] = 1 } else { shape.remove(at: ax) }
        return Tensor(shape: shape, ints: out)
    }

    /// The ONNX reductions, by op name.
    enum Reduction: String, CaseIterable, Sendable {
        case mean = "ReduceMean", sum = "ReduceSum", max = "ReduceMax", min = "ReduceMin", prod = "ReduceProd"
        case l1 = "ReduceL1", l2 = "ReduceL2", sumSquare = "ReduceSumSquare", logSum = "ReduceLogSum", logSumExp = "ReduceLogSumExp"
    }

    /// Reduces `x` over `axes` (every axis when empty).
    static func reduce(_ x: Tensor, axes: [Int], keepDims: Bool, _ kind: Reduction) throws -> Tensor {
        let rank = x.shape.count
        let reduced = Set(axes.isEmpty ? Array(0..<rank) : try axes.map { try axis($0, rank: rank) })
        let keptShape = (0..<rank).map { reduced.contains($0) ? 1 : x.shape[$0] }
        let outStrides = Tensor.strides(of: keptShape)
        let targets = IndexWalk.affine(shape: x.shape, base: 0, strides: (0..<rank).map { reduced.contains($0) ? 0 : outStrides[$0] })
        let outCount = keptShape.reduce(1, *)
        let groupSize = x.count / max(outCount, 1)
        let initial: Double = switch kind {
        case .max: -.infinity
        case .min: .infinity
        case .prod: 1
        default: 0
        }
        var acc = [Double](repeating: initial, count: outCount)
        let v = x.floats
        // ReduceLogSumExp subtracts each group's maximum first, as ONNX Runtime does, so large inputs do not overflow.
        var peak = [Double](repeating: -.infinity, count: kind == .logSumExp ? outCount : 0)
        if kind == .logSumExp { for (i, t) in targets.enumerated() { peak[t] = Swift.max(peak[t], Double(v[i])) } }
        for (i, t) in targets.enumerated() {
            let e = Double(v[i])
            switch kind {
            case .mean, .sum, .logSum: acc[t] += e
            case .max: acc[t] = Swift.max(acc[t], e)
            case .min: acc[t] = Swift.min(acc[t], e)
            case .prod: acc[t] *= e
            case .l1: acc[t] += abs(e)
            case .l2, .sumSquare: acc[t] += e * e
            case .logSumExp: acc[t] += Foundation.exp(e - peak[t])
            }
        }
        let values: [Float] = acc.enumerated().map { t, a in
            switch kind {
            case .mean: Float(a / Double(Swift.max(groupSize, 1)))
            case .l2: Float(a.squareRoot())
            case .logSum: Float(Foundation.log(a))
            case .logSumExp: Float(Foundation.log(a) + peak[t])
            default: Float(a)
            }
        }
        let shape = keepDims ? keptShape : (0..<rank).filter { !reduced.contains($0) }.map { x.shape[$0] }
        if case .int64 = x.storage, [.sum, .max, .min, .prod].contains(kind) { return Tensor(shape: shape, ints: acc.map { Int64($0) }) }
        return Tensor(shape: shape, floats: values)
    }
}
