import Foundation
import KenningCore
import KenningModel

/// Reference kernels: Resize (nearest, linear, cubic; one axis at a time), ConvTranspose and axis normalizations.
extension Kernels {
    /// Resizes every axis whose size changes, one axis after another (n-linear and n-cubic interpolation are separable).
    static func resize(_ x: Tensor, _ g: ResizeGeometry, mode: String, nearest: String, cubic a: Float, excludeOutside: Bool) throws -> Tensor {
        guard ["nearest", "linear", "cubic"].contains(mode) else { throw KernelError(reason: "Resize mode \"\(mode)\" is not supported") }
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearest) else {
            throw KernelError(reason: "nearest_mode \"\(nearest)\" is not supported")
        }
        if mode == "nearest", x.shape.count == 4, g.output[0] == g.input[0], g.output[1] == g.input[1] {
            return nearest2D(x, g, rounding: nearest)
        }
        var values = x.floats, shape = x.shape
        for axis in 0..<shape.count where g.output[axis] != g.input[axis] || (mode != "nearest" && g.scales[axis] != 1) {
            let n = g.input[axis], m = g.output[axis]
            let taps: [[(index: Int, weight: Float)]] = (0..<m).map { o in
                let s = g.source(o, axis: axis)
                switch mode {
                case "nearest":
                    return [(nearestIndex(g, o, axis: axis, rounding: nearest), 1)]
                case "linear":
                    let c = min(max(s, 0), Float(n - 1))
                    let lo = Int(c.rounded(.down)), r = c - Float(lo)
                    return [(lo, 1 - r), (min(lo + 1, n - 1), r)]
                default:
                    let f = s.rounded(.down), r = s - f
                    let d: [Float] = [1 + r, r, 1 - r, 2 - r]
                    var w = d.map { t -> Float in
                        t <= 1 ? ((a + 2) * t - (a + 3)) * t * t + 1 : ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
                    }
                    let raw = (-1...2).map { Int(f) + $0 }
                    if excludeOutside {
                        for k in 0..<4 where raw[k] < 0 || raw[k] >= n { w[k] = 0 }
                        let total = w.reduce(0, +)
                        if total != 0 { w = w.map { $0 / total } }
                    }
                    return (0..<4).map { (min(max(raw[$0], 0), n - 1), w[$0]) }
                }
            }
            let outer = shape.prefix(axis).reduce(1, *), inner = shape.suffix(from: axis + 1).reduce(1, *)
            let source = values
            values = [Float](repeating: 0, count: outer * m * inner)
            for o in 0..<outer {
                for (j, tap) in taps.enumerated() {
                    let dst = (o * m + j) * inner
                    for (index, weight) in tap where weight != 0 {
                        let src = (o * n + index) * inner
                        for i in 0..<inner { values[dst + i] += weight * source[src + i] }
                    }
                }
            }
            shape[axis] = m
        }
        return Tensor(shape: shape, floats: values)
    }

    /// The source index of output position `o` of `axis` under nearest resizing.
    static func nearestIndex(_ g: ResizeGeometry, _ o: Int, axis: Int, rounding: String) -> Int {
        let s = g.source(o, axis: axis), f = s.rounded(.down)
        let i: Float = switch rounding {
        case "floor": f
        case "ceil": s.rounded(.up)
        case "round_prefer_ceil": s - f >= 0.5 ? f + 1 : f
        default: s - f > 0.5 ? f + 1 : f
        }
        return min(max(Int(i), 0), g.input[axis] - 1)
    }

    /// Nearest resizing of the two spatial axes of NCHW data: one gather per output row through index tables.
    static func nearest2D(_ x: Tensor, _ g: ResizeGeometry, rounding: String) -> Tensor {
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (g.output[2], g.output[3])
        let rows = (0..<oh).map { nearestIndex(g, $0, axis: 2, rounding: rounding) }
        let cols = (0..<ow).map { nearestIndex(g, $0, axis: 3, rounding: rounding) }
        let xs = x.floats
        let out = makeFloats(planes * oh * ow) { o in
            xs.withUnsafeBufferPointer { xb in
                cols.withUnsafeBufferPointer { cb in
                    for p in 0..<planes {
                        for oy in 0..<oh {
                            let src = xb.baseAddress! + (p * h + rows[oy]) * w, dst = o + (p * oh + oy) * ow
                            for ox in 0..<ow { dst[ox] = src[cb[ox]] }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [x.shape[0], x.shape[1], oh, ow], floats: out)
    }

    /// 2-D transposed convolution (ONNX ConvTranspose: groups, strides, dilations, pads or auto_pad, output_padding,
    /// output_shape), NCHW. Each output channel is computed by one worker.
    static func convTranspose(x: Tensor, w: Tensor, b: Tensor?, node: Node, threads: Int) throws -> Tensor {
        let geometry = try ConvTransposeGeometry(node: node, input: x.shape, weights: w.shape)
        let (n, c, h, wd, group, perGroupOut, m) = (geometry.n, geometry.c, geometry.h, geometry.w, geometry.group, geometry.perGroupOut, geometry.m)
        let (kh, kw, oh, ow) = (geometry.kh, geometry.kw, geometry.oh, geometry.ow)
        let (sy, sx, dy, dx, pt, pl) = (geometry.strides[0], geometry.strides[1], geometry.dilations[0], geometry.dilations[1],
                                        geometry.padTop, geometry.padLeft)
        let xs = x.floats, ws = w.floats, bias = b?.floats
        let perGroupIn = c / group
        let out = makeFloats(n * m * oh * ow) { o in
            xs.withUnsafeBufferPointer { xb in
                parallelFor(n * m, threads: n * m * h * wd * kh * kw * perGroupIn >= 100_000 ? threads : 1) { jobs in
                    for job in jobs {
                        let (img, oc) = (job / m, job % m)
                        let g = oc / perGroupOut, local = oc % perGroupOut
                        let plane = o + job * oh * ow
                        plane.initialize(repeating: bias?[oc] ?? 0, count: oh * ow)
                        for ic in (g * perGroupIn)..<((g + 1) * perGroupIn) {
                            let src = xb.baseAddress! + (img * c + ic) * h * wd
                            for ky in 0..<kh {
                                for kx in 0..<kw {
                                    let weight = ws[((ic * perGroupOut + local) * kh + ky) * kw + kx]
                                    if weight == 0 { continue }
                                    // The input columns whose output column falls inside [0, ow).
                                    let shift = kx * dx - pl
                                    let ixLo = max(0, (-shift + sx - 1) / sx), ixHi = min(wd, (ow - 1 - shift) / sx + 1)
                                    if ixLo >= ixHi { continue }
                                    for iy in 0..<h {
                                        let oy = iy * sy - pt + ky * dy
                                        if oy < 0 || oy >= oh { continue }
                                        let row = src + iy * wd, dst = plane + oy * ow + shift
                                        for ix in ixLo..<ixHi { dst[ix * sx] += weight * row[ix] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, m, oh, ow], floats: out)
    }

    /// LayerNormalization over the axes from `axis` on: Y, and the Mean and InvStdDev outputs.
    static func layerNorm(_ x: Tensor, scale: Tensor?, bias: Tensor?, axis: Int, epsilon: Float) throws -> [Tensor] {
        let ax = try self.axis(axis, rank: x.shape.count)
        let normalized = Array(x.shape.suffix(from: ax))
        let inner = normalized.reduce(1, *), outer = x.count / max(inner, 1)
        let gamma = try scale.map { try broadcastTo($0, shape: normalized) }, beta = try bias.map { try broadcastTo($0, shape: normalized) }
        let v = x.floats
        var y = [Float](repeating: 0, count: v.count), means = [Float](repeating: 0, count: outer), inv = means
        for o in 0..<outer {
            let row = o * inner
            var sum: Double = 0
            for i in 0..<inner { sum += Double(v[row + i]) }
            let mean = sum / Double(inner)
            var squares: Double = 0
            for i in 0..<inner { let e = Double(v[row + i]) - mean; squares += e * e }
            let invStd = Float(1 / (squares / Double(inner) + Double(epsilon)).squareRoot())
            (means[o], inv[o]) = (Float(mean), invStd)
            for i in 0..<inner {
                y[row + i] = (v[row + i] - Float(mean)) * invStd * (gamma?[i] ?? 1) + (beta?[i] ?? 0)
            }
        }
        let statsShape = Array(x.shape.prefix(ax)) + Array(repeating: 1, count: normalized.count)
        return [Tensor(shape: x.shape, floats: y), Tensor(shape: statsShape, floats: means), Tensor(shape: statsShape, floats: inv)]
    }

    /// InstanceNormalization: each (image, channel) plane normalized, then scaled and shifted per channel.
    static func instanceNorm(_ x: Tensor, scale: Tensor, bias: Tensor, epsilon: Float) throws -> Tensor {
        guard x.shape.count >= 3 else { throw KernelError(reason: "InstanceNormalization needs rank ≥ 3, got \(x.shape)") }
        let (n, c) = (x.shape[0], x.shape[1]), plane = x.shape.suffix(from: 2).reduce(1, *)
        guard scale.count == c, bias.count == c else { throw KernelError(reason: "scale and B need \(c) values") }
        let v = x.floats, gamma = scale.floats, beta = bias.floats
        var y = [Float](repeating: 0, count: v.count)
        for p in 0..<(n * c) {
            let ch = p % c, base = p * plane
            var sum: Double = 0
            for i in 0..<plane { sum += Double(v[base + i]) }
            let mean = sum / Double(plane)
            var squares: Double = 0
            for i in 0..<plane { let e = Double(v[base + i]) - mean; squares += e * e }
            let k = gamma[ch] / Float((squares / Double(plane) + Double(epsilon)).squareRoot())
            for i in 0..<plane { y[base + i] = (v[base + i] - Float(mean)) * k + beta[ch] }
        }
        return Tensor(shape: x.shape, floats: y)
    }
}
