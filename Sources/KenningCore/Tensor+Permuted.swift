/// Reordering a tensor's axes.
extension Tensor {
    /// Row-major strides of `shape`.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = s
            s *= shape[d]
        }
        return strides
    }

    /// The tensor with its axes in the order `perm` (output axis `d` is input axis `perm[d]`), as float values; nil when
    /// `perm` is not a permutation of the axes.
    public func permuted(_ perm: [Int]) -> Tensor? {
        let rank = shape.count
        guard perm.sorted() == Array(0..<rank) else { return nil }
        let outShape = perm.map { shape[$0] }
        let inStrides = Tensor.strides(of: shape)
        let v = floats
        var out = [Float](repeating: 0, count: v.count)
        guard !v.isEmpty else { return Tensor(shape: outShape, floats: out) }
        if rank == 0 { return Tensor(shape: outShape, floats: v) }
        // Row by row of the output: the source offset is computed once per row, the row's elements then step by the
        // stride of the input axis that becomes the last one.
        let rowLength = outShape[rank - 1], rowStep = inStrides[perm[rank - 1]]
        var index = [Int](repeating: 0, count: rank - 1)
        v.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var o = 0
                while o < dst.count {
                    var base = 0
                    for d in 0..<(rank - 1) { base += index[d] * inStrides[perm[d]] }
                    if rowStep == 1 {
                        for j in 0..<rowLength { dst[o + j] = src[base + j] }
                    } else {
                        for j in 0..<rowLength { dst[o + j] = src[base + j * rowStep] }
                    }
                    o += rowLength
                    var d = rank - 2
                    while d >= 0 {
                        index[d] += 1
                        if index[d] < outShape[d] { break }
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
        return Tensor(shape: outShape, floats: out)
    }
}
