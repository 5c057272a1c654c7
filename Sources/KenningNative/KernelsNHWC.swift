import KenningCore
import KenningModel

/// Channels-last kernels. A channels-last value keeps its logical NCHW shape `[n, c, h, w]` in `Tensor.shape`;
/// only the order of the values differs (pixel-major, channels contiguous). The session converts at the
/// boundaries between channels-last producers (oneDNN, XNNPACK convolutions) and kernels that need NCHW.
enum ChannelsLast {
    /// True when the NCHW and NHWC orders of `shape` are the same (not 4-D, or a single pixel).
    static func isNeutral(_ shape: [Int]) -> Bool { shape.count != 4 || shape[2] * shape[3] == 1 || shape[1] == 1 }

    static func toNHWC(_ t: Tensor, threads: Int) -> Tensor { convert(t, toChannelsLast: true, threads: threads) }

    static func toNCHW(_ t: Tensor, threads: Int) -> Tensor { convert(t, toChannelsLast: false, threads: threads) }

    private static func convert(_ t: Tensor, toChannelsLast: Bool, threads: Int) -> Tensor {
        if isNeutral(t.shape) { return t }
        let s = t.shape
        let (n, c, hw) = (s[0], s[1], s[2] * s[3])
        if case let .int8(q) = t.storage {
            return Tensor(shape: s, int8s: [Int8](unsafeUninitializedCapacity: q.count) { buf, count in
                q.withUnsafeBufferPointer { src in
                    if toChannelsLast {
                        transposeToNHWC(src.baseAddress!, buf.baseAddress!, n: n, c: c, hw: hw)
                    } else {
                        transposeToNCHW(src.baseAddress!, buf.baseAddress!, n: n, c: c, hw: hw)
                    }
                }
                count = q.count
            })
        }
        let v = t.floats
        return Tensor(shape: s, floats: makeFloats(v.count) { o in
            v.withUnsafeBufferPointer { src in
                if toChannelsLast {
                    nchwToNHWC(src.baseAddress!, o, n: n, c: c, hw: hw, threads: threads)
                } else {
                    nhwcToNCHW(src.baseAddress!, o, n: n, c: c, hw: hw, threads: threads)
                }
            }
        })
    }

    /// MaxPool / AveragePool on channels-last data (vectorized over channels).
    static func pool(x: Tensor, node: Node, isMax: Bool, threads: Int) throws -> Tensor {
        let p = try PoolGeometry(x.shape, node)
        let (n, c, h, w, oh, ow, hy, wx, includePad) = (p.n, p.c, p.h, p.w, p.hy.out, p.wx.out, p.hy, p.wx, p.includePad)
        let (kh, kw, sh, sw, dh, dw) = (p.kh, p.kw, p.sh, p.sw, p.dh, p.dw)
        let xs = x.floats
        let out = makeFloats(n * c * oh * ow) { o in
            xs.withUnsafeBufferPointer { xb in
                let xp = xb.baseAddress!
                parallelFor(n * oh, threads: n * c * oh * ow * kh * kw >= 100_000 ? threads : 1) { rows in
                    for job in rows {
                        let img = job / oh, oy = job % oh
                        let y0 = oy * sh - hy.begin
                        let kyLo = y0 >= 0 ? 0 : (-y0 + dh - 1) / dh
                        let kyHi = min(kh, (h - y0 + dh - 1) / dh)
                        for ox in 0..<ow {
                            let x0 = ox * sw - wx.begin
                            let kxLo = x0 >= 0 ? 0 : (-x0 + dw - 1) / dw
                            let kxHi = min(kw, (w - x0 + dw - 1) / dw)
                            let dst = o + ((img * oh + oy) * ow + ox) * c
                            for ch in 0..<c { dst[ch] = isMax ? -.infinity : 0 }
                            if kyLo < kyHi, kxLo < kxHi {
                                for ky in kyLo..<kyHi {
                                    for kx in kxLo..<kxHi {
                                        let src = xp + ((img * h + y0 + ky * dh) * w + x0 + kx * dw) * c
                                        if isMax {
                                            for ch in 0..<c {
                                                let a = dst[ch], b = src[ch]
                                                dst[ch] = b > a ? b : a
                                            }
                                        } else {
                                            for ch in 0..<c { dst[ch] += src[ch] }
                                        }
                                    }
                                }
                            }
                            if !isMax {
                                var divisor = max(0, kyHi - kyLo) * max(0, kxHi - kxLo)
                                if includePad {
                                    let y1 = min(y0 + kh, h + hy.end), x1 = min(x0 + kw, w + wx.end)
                                    divisor = (y1 - y0) * (x1 - x0)
                                }
                                let scale = 1 / Float(max(divisor, 1))
                                for ch in 0..<c { dst[ch] *= scale }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, c, oh, ow], floats: out)
    }

    /// GlobalAveragePool / GlobalMaxPool on channels-last data; the [n, c, 1, 1] result is layout-neutral.
    static func globalPool(x: Tensor, isMax: Bool) throws -> Tensor {
        guard x.shape.count == 4 else { throw KernelError(reason: "input must have rank 4, got \(x.shape)") }
        let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let xs = x.floats
        let out = makeFloats(n * c) { o in
            xs.withUnsafeBufferPointer { xb in
                for img in 0..<n {
                    let dst = o + img * c
                    for ch in 0..<c { dst[ch] = isMax ? -.infinity : 0 }
                    for p in 0..<hw {
                        let src = xb.baseAddress! + (img * hw + p) * c
                        if isMax { for ch in 0..<c { dst[ch] = max(dst[ch], src[ch]) } } else { for ch in 0..<c { dst[ch] += src[ch] } }
                    }
                    if !isMax { for ch in 0..<c { dst[ch] /= Float(hw) } }
                }
            }
        }
        return Tensor(shape: [n, c, 1, 1], floats: out)
    }

    /// Concat along channels of channels-last inputs.
    static func concatChannels(_ xs: [Tensor]) throws -> Tensor {
        guard let first = xs.first, first.shape.count == 4 else { throw KernelError(reason: "channel concat needs 4-D inputs") }
        let (n, h, w) = (first.shape[0], first.shape[2], first.shape[3])
        for t in xs where t.shape.count != 4 || t.shape[0] != n || t.shape[2] != h || t.shape[3] != w {
            throw KernelError(reason: "inputs \(xs.map(\.shape)) differ outside axis 1")
        }
        let total = xs.reduce(0) { $0 + $1.shape[1] }
        let pixels = n * h * w
        let values = xs.map(\.floats)
        let out = makeFloats(pixels * total) { o in
            var offset = 0
            for (t, v) in zip(xs, values) {
                let c = t.shape[1]
                v.withUnsafeBufferPointer { src in
                    for p in 0..<pixels {
                        (o + p * total + offset).update(from: src.baseAddress! + p * c, count: c)
                    }
                }
                offset += c
            }
        }
        return Tensor(shape: [n, total, h, w], floats: out)
    }

    /// BatchNormalization on channels-last data.
    static func batchNorm(x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float) throws -> Tensor {
        guard x.shape.count == 4 else { throw KernelError(reason: "input must have rank 4, got \(x.shape)") }
        let c = x.shape[1]
        for (name, t) in [("scale", scale), ("B", bias), ("mean", mean), ("var", variance)] where t.count != c {
            throw KernelError(reason: "\(name) has \(t.count) values but the input has \(c) channels")
        }
        let (s, b, mu, v) = (scale.floats, bias.floats, mean.floats, variance.floats)
        let mult = (0..<c).map { s[$0] / (v[$0] + epsilon).squareRoot() }
        let shift = (0..<c).map { b[$0] - mu[$0] * mult[$0] }
        return perChannel(x, mult, shift)
    }

    /// `x * mult[c] + shift[c]` on channels-last data.
    static func perChannel(_ x: Tensor, _ mult: [Float], _ shift: [Float]) -> Tensor {
        let c = x.shape[1]
        let xs = x.floats
        return Tensor(shape: x.shape, floats: makeFloats(xs.count) { o in
            xs.withUnsafeBufferPointer { xb in
                mult.withUnsafeBufferPointer { m in
                    shift.withUnsafeBufferPointer { a in
                        for p in 0..<(xs.count / c) {
                            let src = xb.baseAddress! + p * c, dst = o + p * c
                            for ch in 0..<c { dst[ch] = src[ch] * m[ch] + a[ch] }
                        }
                    }
                }
            }
        })
    }
}

/// NCHW → NHWC, in blocks of pixels so reads and writes both stay in cache.
func nchwToNHWC(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, n: Int, c: Int, hw: Int, threads: Int) {
    transposeChannels(src, dst, n: n, c: c, hw: hw, threads: threads, toChannelsLast: true)
}

/// NHWC → NCHW.
func nhwcToNCHW(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, n: Int, c: Int, hw: Int, threads: Int) {
    transposeChannels(src, dst, n: n, c: c, hw: hw, threads: threads, toChannelsLast: false)
}

private func transposeChannels(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, n: Int, c: Int, hw: Int, threads: Int,
                               toChannelsLast: Bool) {
    let block = 32
    let tiles = (hw + block - 1) / block
    parallelFor(n * tiles, threads: n * c * hw >= 65536 ? threads : 1) { range in
        for job in range {
            let img = job / tiles, p0 = (job % tiles) * block, p1 = min(p0 + block, hw)
            let s = src + img * c * hw, d = dst + img * c * hw
            if toChannelsLast {
                for ch in 0..<c { for p in p0..<p1 { d[p * c + ch] = s[ch * hw + p] } }
            } else {
                for p in p0..<p1 { for ch in 0..<c { d[ch * hw + p] = s[p * c + ch] } }
            }
        }
    }
}
