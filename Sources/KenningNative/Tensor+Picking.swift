import KenningCore

/// Building a tensor from another's elements by position, whatever the element type.
extension Tensor {
    /// A tensor of `shape` whose element `i` is this tensor's element `offsets[i]`, or `fill` where `offsets[i]` is
    /// negative. The element type is kept (float16 becomes float32).
    func picking(_ offsets: [Int], shape: [Int], fill: Double = 0) -> Tensor {
        func pick<T>(_ values: [T], _ fill: T) -> [T] { offsets.map { $0 < 0 ? fill : values[$0] } }
        switch storage {
        case let .int64(v): return Tensor(shape: shape, ints: pick(v, Int64(fill)))
        case let .int8(v): return Tensor(shape: shape, int8s: pick(v, Int8(clamping: Int(fill))))
        case let .int32(v): return Tensor(shape: shape, int32s: pick(v, Int32(clamping: Int(fill))))
        case .float, .float16: return Tensor(shape: shape, floats: pick(floats, Float(fill)))
        }
    }
}

/// Offsets into a source tensor for every element of an output of `shape`, in row-major order.
enum IndexWalk {
    /// `base + Σ index[d] · strides[d]` for every index of `shape` (slices, broadcasts, transposes).
    static func affine(shape: [Int], base: Int, strides: [Int]) -> [Int] {
        let total = shape.reduce(1, *)
        guard total > 0 else { return [] }
        var out = [Int](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: shape.count)
        var offset = base
        for o in 0..<total {
            out[o] = offset
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                offset += strides[d]
                if index[d] < shape[d] { break }
                offset -= strides[d] * index[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// `map(index)` for every index of `shape`; `map` may return -1 for "no source element".
    static func mapped(shape: [Int], _ map: ([Int]) -> Int) -> [Int] {
        let total = shape.reduce(1, *)
        guard total > 0 else { return [] }
        var out = [Int](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: shape.count)
        for o in 0..<total {
            out[o] = map(index)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
