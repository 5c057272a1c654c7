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

enum Kernels {
    // MARK: Convolution

    /// `activation(conv(x, w) + b + z)`; `z` (ONNX Runtime FusedConv's residual input) has the output's shape.
    static func conv(x: Tensor, w: Tensor, b: Tensor?, z: Tensor? = nil, node: Node, activation: Activation, threads: Int) throws -> Tensor {
        guard x.shape.count == 4, w.shape.count == 4 else {
            throw KernelError(reason: "only 2-D convolution (4-D input and weight) is supported, got input \(x.shape) and weight \(w.shape)")
        }
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cPerGroup, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let group = node.int("group", default: 1)
        guard group > 0, c == cPerGroup * group, m % group == 0 else {
            throw KernelError(reason: "input has \(c) channels but weight \(w.shape) with group=\(group) expects \(cPerGroup * group)")
        }
        let strides = node.ints("strides") ?? [1, 1]
        let dil = node.ints("dilations") ?? [1, 1]
        let pads = node.ints("pads") ?? [0, 0, 0, 0]
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        let hy = spatialOutput(input: h, kernel: kh, stride: strides[0], dilation: dil[0], padBegin: pads[0], padEnd: pads[2], autoPad: autoPad)
        let wx = spatialOutput(input: wd, kernel: kw, stride: strides[1], dilation: dil[1], padBegin: pads[1], padEnd: pads[3], autoPad: autoPad)
        let (oh, ow) = (hy.out, wx.out)
        guard oh > 0, ow > 0 else { throw KernelError(reason: "output would be empty (input \(x.shape), kernel \(kh)x\(kw))") }
        if let b, b.count != m { throw KernelError(reason: "bias has \(b.count) values, expected \(m)") }
        let xs = x.floats, ws = w.floats, bs = b?.floats
        let zs = z?.floats ?? []
        if let z, z.shape != [n, m, oh, ow] { throw KernelError(reason: "residual input has shape \(z.shape), expected \([n, m, oh, ow])") }
        let mPerGroup = m / group
        var out = [Float](repeating: 0, count: n * m * oh * ow)
        let (sh, sw, dh, dw, pt, pl) = (strides[0], strides[1], dil[0], dil[1], hy.begin, wx.begin)
        out.withUnsafeMutableBufferPointer { o in
            let op = o.baseAddress!
            xs.withUnsafeBufferPointer { xp in
                ws.withUnsafeBufferPointer { wp in
                    parallelFor(n * m, threads: threads) { range in
                        for job in range {
                            let img = job / m, oc = job % m
                            let g = oc / mPerGroup
                            let bias = bs?[oc] ?? 0
                            let dst = op + (img * m + oc) * oh * ow
                            for i in 0..<(oh * ow) { dst[i] = bias }
                            for ic in 0..<cPerGroup {
                                let src = xp.baseAddress! + (img * c + g * cPerGroup + ic) * h * wd
                                let wk = wp.baseAddress! + (oc * cPerGroup + ic) * kh * kw
                                for ky in 0..<kh {
                                    for kx in 0..<kw {
                                        let weight = wk[ky * kw + kx]
                                        if weight == 0 { continue }
                                        for oy in 0..<oh {
                                            let iy = oy * sh - pt + ky * dh
                                            if iy < 0 || iy >= h { continue }
                                            let row = src + iy * wd
                                            let drow = dst + oy * ow
                                            for ox in 0..<ow {
                                                let ix = ox * sw - pl + kx * dw
                                                if ix >= 0 && ix < wd { drow[ox] += weight * row[ix] }
                                            }
                                        }
                                    }
                                }
                            }
                            if !zs.isEmpty {
                                let base = (img * m + oc) * oh * ow
                                for i in 0..<(oh * ow) { dst[i] += zs[base + i] }
                            }
                            if activation != .none {
                                for i in 0..<(oh * ow) { dst[i] = activation.apply(dst[i]) }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, m, oh, ow], floats: out)
    }

    // MARK: Pooling

    static func pool(x: Tensor, node: Node, isMax: Bool, threads: Int = 1) throws -> Tensor {
        let p = try PoolGeometry(x.shape, node)
        let (n, c, h, w, oh, ow, hy, wx, includePad) = (p.n, p.c, p.h, p.w, p.hy.out, p.wx.out, p.hy, p.wx, p.includePad)
        let (kh, kw, sh, sw, dh, dw) = (p.kh, p.kw, p.sh, p.sw, p.dh, p.dw)
        let xs = x.floats
        let out = makeFloats(n * c * oh * ow) { o in
            xs.withUnsafeBufferPointer { xb in
                let xp = xb.baseAddress!
                parallelFor(n * c, threads: n * c * oh * ow * kh * kw >= 100_000 ? threads : 1) { planes in
                    for plane in planes {
                        let src = xp + plane * h * w
                        let dst = o + plane * oh * ow
                        for oy in 0..<oh {
                            let y0 = oy * sh - hy.begin
                            let kyLo = y0 >= 0 ? 0 : (-y0 + dh - 1) / dh
                            let kyHi = min(kh, (h - y0 + dh - 1) / dh)
                            for ox in 0..<ow {
                                let x0 = ox * sw - wx.begin
                                let kxLo = x0 >= 0 ? 0 : (-x0 + dw - 1) / dw
                                let kxHi = min(kw, (w - x0 + dw - 1) / dw)
                                var acc: Float = isMax ? -.infinity : 0
                                if kyLo < kyHi, kxLo < kxHi {
                                    for ky in kyLo..<kyHi {
                                        let row = src + (y0 + ky * dh) * w + x0
                                        if isMax {
                                            for kx in kxLo..<kxHi { acc = max(acc, row[kx * dw]) }
                                        } else {
                                            for kx in kxLo..<kxHi { acc += row[kx * dw] }
                                        }
                                    }
                                }
                                if !isMax {
                                    var divisor = max(0, kyHi - kyLo) * max(0, kxHi - kxLo)
                                    if includePad {
                                        let y1 = min(y0 + kh, h + hy.end), x1 = min(x0 + kw, w + wx.end)
                                        divisor = (y1 - y0) * (x1 - x0)
                                    }
                                    acc /= Float(max(divisor, 1))
                                }
                                dst[oy * ow + ox] = acc
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, c, oh, ow], floats: out)
    }

    static func globalPool(x: Tensor, isMax: Bool) throws -> Tensor {
        guard x.shape.count >= 3 else { throw KernelError(reason: "input must have rank ≥ 3, got \(x.shape)") }
        let planes = x.shape[0] * x.shape[1]
        let size = x.shape.dropFirst(2).reduce(1, *)
        let xs = x.floats
        var out = [Float](repeating: 0, count: planes)
        for p in 0..<planes {
            let slice = xs[(p * size)..<((p + 1) * size)]
            out[p] = isMax ? (slice.max() ?? 0) : slice.reduce(0, +) / Float(size)
        }
        return Tensor(shape: [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.shape.count - 2), floats: out)
    }

    // MARK: Dense

    static func gemm(a: Tensor, b: Tensor, c: Tensor?, node: Node, activation: Activation, threads: Int) throws -> Tensor {
        guard a.shape.count == 2, b.shape.count == 2 else { throw KernelError(reason: "Gemm needs 2-D inputs, got \(a.shape) and \(b.shape)") }
        let ta = node.int("transA", default: 0) == 1, tb = node.int("transB", default: 0) == 1
        let alpha = node.float("alpha", default: 1), beta = node.float("beta", default: 1)
        let (m, k) = ta ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = tb ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw KernelError(reason: "inner dimensions differ: A \(a.shape) and B \(b.shape) (transA=\(ta), transB=\(tb))") }
        let av = a.floats, bv = b.floats
        var out = [Float](repeating: 0, count: m * n)
        if let c {
            let cb = try broadcastTo(c, shape: [m, n])
            for i in 0..<(m * n) { out[i] = beta * cb[i] }
        }
        out.withUnsafeMutableBufferPointer { o in
            let op = o.baseAddress!
            av.withUnsafeBufferPointer { ap in
                bv.withUnsafeBufferPointer { bp in
                    parallelFor(m * n, threads: m * n >= 256 ? threads : 1) { range in
                        for idx in range {
                            let i = idx / n, j = idx % n
                            var s: Float = 0
                            for p in 0..<k {
                                let x = ta ? ap[p * m + i] : ap[i * k + p]
                                let y = tb ? bp[j * k + p] : bp[p * n + j]
                                s += x * y
                            }
                            op[idx] = activation.apply(op[idx] + alpha * s)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [m, n], floats: out)
    }

    static func matmul(a: Tensor, b: Tensor, threads: Int) throws -> Tensor {
        var ashape = a.shape, bshape = b.shape
        let aVec = ashape.count == 1, bVec = bshape.count == 1
        if aVec { ashape = [1] + ashape }
        if bVec { bshape = bshape + [1] }
        guard ashape.count >= 2, bshape.count >= 2 else { throw KernelError(reason: "MatMul needs inputs of rank ≥ 1") }
        let (m, k) = (ashape[ashape.count - 2], ashape[ashape.count - 1])
        let (kb, n) = (bshape[bshape.count - 2], bshape[bshape.count - 1])
        guard k == kb else { throw KernelError(reason: "inner dimensions differ: \(a.shape) × \(b.shape)") }
        let batchA = Array(ashape.dropLast(2)), batchB = Array(bshape.dropLast(2))
        let batch = try broadcastShape(batchA, batchB)
        let batchCount = batch.reduce(1, *)
        let aB = try broadcastTo(Tensor(shape: ashape, floats: a.floats), shape: batch + [m, k])
        let bB = try broadcastTo(Tensor(shape: bshape, floats: b.floats), shape: batch + [k, n])
        var out = [Float](repeating: 0, count: batchCount * m * n)
        out.withUnsafeMutableBufferPointer { o in
            let op = o.baseAddress!
            parallelFor(batchCount * m, threads: batchCount * m * n >= 256 ? threads : 1) { range in
                for row in range {
                    let bi = row / m, i = row % m
                    for j in 0..<n {
                        var s: Float = 0
                        for p in 0..<k { s += aB[(bi * m + i) * k + p] * bB[(bi * k + p) * n + j] }
                        op[(bi * m + i) * n + j] = s
                    }
                }
            }
        }
        var shape = batch + [m, n]
        if aVec { shape.remove(at: shape.count - 2) }
        if bVec { shape.removeLast() }
        return Tensor(shape: shape, floats: out)
    }

    // MARK: Normalization and activations

    static func batchNorm(x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float) throws -> Tensor {
        guard x.shape.count >= 2 else { throw KernelError(reason: "input must have rank ≥ 2, got \(x.shape)") }
        let c = x.shape[1]
        for (name, t) in [("scale", scale), ("B", bias), ("mean", mean), ("var", variance)] where t.count != c {
            throw KernelError(reason: "\(name) has \(t.count) values but the input has \(c) channels")
        }
        let (s, b, mu, v) = (scale.floats, bias.floats, mean.floats, variance.floats)
        let inner = x.shape.dropFirst(2).reduce(1, *)
        let mult = (0..<c).map { s[$0] / (v[$0] + epsilon).squareRoot() }
        let shift = (0..<c).map { b[$0] - mu[$0] * mult[$0] }
        let xs = x.floats
        let out = makeFloats(xs.count) { o in
            xs.withUnsafeBufferPointer { p in
                for plane in 0..<(xs.count / max(inner, 1)) {
                    let (m, a) = (mult[plane % c], shift[plane % c])
                    for i in (plane * inner)..<((plane + 1) * inner) { o[i] = p[i] * m + a }
                }
            }
        }
        return Tensor(shape: x.shape, floats: out)
    }

    static func softmax(x: Tensor, axis: Int, legacy: Bool) throws -> Tensor {
        let rank = x.shape.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < max(rank, 1) else { throw KernelError(reason: "axis \(axis) is out of range for shape \(x.shape)") }
        var v = x.floats
        let outer: Int, len: Int, inner: Int
        if legacy {
            outer = x.shape.prefix(ax).reduce(1, *)
            len = x.shape.suffix(from: ax).reduce(1, *)
            inner = 1
        } else {
            outer = x.shape.prefix(ax).reduce(1, *)
            len = x.shape[ax]
            inner = x.shape.suffix(from: ax + 1).reduce(1, *)
        }
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * len * inner + i
                var mx = -Float.infinity
                for j in 0..<len { mx = max(mx, v[base + j * inner]) }
                var sum: Float = 0
                for j in 0..<len {
                    let e = expf(v[base + j * inner] - mx)
                    v[base + j * inner] = e
                    sum += e
                }
                for j in 0..<len { v[base + j * inner] /= sum }
            }
        }
        return Tensor(shape: x.shape, floats: v)
    }

    static func unary(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        Tensor(shape: x.shape, floats: x.floats.map(f))
    }

    // MARK: Broadcasting element-wise

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
        var out = [Float](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: rank)
        var src = 0
        for o in 0..<total {
            out[o] = v[src]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                src += strides[d]
                if index[d] < shape[d] { break }
                src -= strides[d] * index[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
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

    // MARK: Shape manipulation

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
        let rank = x.shape.count
        let p = perm ?? Array((0..<rank).reversed())
        guard p.sorted() == Array(0..<rank) else { throw KernelError(reason: "perm \(p) is not a permutation of \(rank) axes") }
        let outShape = p.map { x.shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * x.shape[i + 1] }
        let v = x.floats
        var out = [Float](repeating: 0, count: v.count)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<v.count {
            var src = 0
            for d in 0..<rank { src += index[d] * inStrides[p[d]] }
            out[o] = v[src]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < outShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return Tensor(shape: outShape, floats: out)
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
