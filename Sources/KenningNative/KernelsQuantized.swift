import KenningCore

extension Kernels {
    /// Per-tensor or per-axis quantization parameters broadcast over `shape`: (scale, zero point) per slice of `axis`.
    static func quantParams(shape: [Int], scale: Tensor, zeroPoint: Tensor?, axis: Int) throws -> (scales: [Float], zeros: [Int32], outer: Int, inner: Int) {
        let scales = scale.floats
        let zeros = zeroPoint?.ints.map { Int32($0) } ?? [Int32](repeating: 0, count: scales.count)
        guard zeros.count == scales.count, !scales.isEmpty else {
            throw KernelError(reason: "scale has \(scales.count) values, zero point \(zeros.count)")
        }
        if scales.count == 1 { return (scales, zeros, 1, shape.reduce(1, *)) }
        let rank = shape.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank, shape[ax] == scales.count else {
            throw KernelError(reason: "per-axis scale with \(scales.count) values does not fit axis \(axis) of \(shape)")
        }
        return (scales, zeros, shape.prefix(ax).reduce(1, *), shape.suffix(from: ax + 1).reduce(1, *))
    }

    /// ONNX QuantizeLinear: `saturate(round_half_even(x / scale) + zero_point)`; int8 when the zero point is int8, else uint8.
    static func quantize(_ x: Tensor, scale: Tensor, zeroPoint: Tensor?, axis: Int) throws -> Tensor {
        let (scales, zeros, outer, inner) = try quantParams(shape: x.shape, scale: scale, zeroPoint: zeroPoint, axis: axis)
        let signed: Bool
        if case .int8? = zeroPoint?.storage { signed = true } else { signed = false }
        let (lo, hi): (Float, Float) = signed ? (-128, 127) : (0, 255)
        let v = x.floats
        let channels = scales.count
        if signed, channels == 1 {
            let inv = 1 / scales[0], zp = Float(zeros[0])
            let q = [Int8](unsafeUninitializedCapacity: v.count) { buf, n in
                v.withUnsafeBufferPointer { src in
                    // Clamp, then round half to even with the 1.5·2^23 trick (vectorizes, unlike a libm call per value);
                    // zp is an integer, so round(x / s) + zp == round(x / s + zp).
                    for i in 0..<v.count {
                        let t = min(max(src[i] * inv + zp, -128), 127)
                        buf[i] = Int8((t + 12_582_912) - 12_582_912)
                    }
                }
                n = v.count
            }
            return Tensor(shape: x.shape, int8s: q)
        }
        var q = [Int8](repeating: 0, count: v.count)
        var u = signed ? [] : [Int64](repeating: 0, count: v.count)
        v.withUnsafeBufferPointer { src in
            for o in 0..<outer {
                for ch in 0..<channels {
                    let inv = 1 / scales[ch], zp = Float(zeros[ch])
                    let base = (o * channels + ch) * inner
                    for i in base..<(base + inner) {
                        let r = min(max((src[i] * inv).rounded(.toNearestOrEven) + zp, lo), hi)
                        if signed { q[i] = Int8(r) } else { u[i] = Int64(r) }
                    }
                }
            }
        }
        return signed ? Tensor(shape: x.shape, int8s: q) : Tensor(shape: x.shape, ints: u)
    }

    /// ONNX DequantizeLinear: `(x - zero_point) * scale`.
    static func dequantize(_ x: Tensor, scale: Tensor, zeroPoint: Tensor?, axis: Int) throws -> Tensor {
        let (scales, zeros, outer, inner) = try quantParams(shape: x.shape, scale: scale, zeroPoint: zeroPoint, axis: axis)
        let channels = scales.count
        let count = x.count
        let out: [Float]
        switch x.storage {
        case let .int8(q):
            out = makeFloats(count) { o in
                q.withUnsafeBufferPointer { src in
                    for ob in 0..<outer {
                        for ch in 0..<channels {
                            let s = scales[ch], zp = Float(zeros[ch])
                            let base = (ob * channels + ch) * inner
                            for i in base..<(base + inner) { o[i] = (Float(src[i]) - zp) * s }
                        }
                    }
                }
            }
        default:
            let v = x.ints
            out = makeFloats(count) { o in
                for ob in 0..<outer {
                    for ch in 0..<channels {
                        let s = scales[ch], zp = Int64(zeros[ch])
                        let base = (ob * channels + ch) * inner
                        for i in base..<(base + inner) { o[i] = Float(v[i] - zp) * s }
                    }
                }
            }
        }
        return Tensor(shape: x.shape, floats: out)
    }
}
