import COpenBLAS
import Dispatch
import Foundation
import KenningCore
import KenningModel

/// Reference kernels: dense.
extension Kernels {

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
        // Each operand's matrices in broadcast order: an operand that does not vary over the batch is not copied.
        let av = a.floats, bv = b.floats
        let aStep = batchA.reduce(1, *) == batchCount ? m * k : 0, bStep = batchB.reduce(1, *) == batchCount ? k * n : 0
        let aB = aStep > 0 || batchCount == 1 ? av : try broadcastTo(Tensor(shape: ashape, floats: av), shape: batch + [m, k])
        let bB = bStep > 0 || batchCount == 1 ? bv : try broadcastTo(Tensor(shape: bshape, floats: bv), shape: batch + [k, n])
        let (aStride, bStride) = (aStep > 0 || batchCount == 1 ? aStep : m * k, bStep > 0 || batchCount == 1 ? bStep : k * n)
        var out = [Float](repeating: 0, count: batchCount * m * n)
        out.withUnsafeMutableBufferPointer { o in
            aB.withUnsafeBufferPointer { ap in
                bB.withUnsafeBufferPointer { bp in
                    let op = o.baseAddress!, a0 = ap.baseAddress!, b0 = bp.baseAddress!
                    // One single-threaded SGEMM (OpenBLAS) per matrix of the batch, the batch split over the session's threads:
                    // OpenBLAS's own thread pool would contend with the backend's. Its thread count is put back after.
                    let previous = openblas_get_num_threads()
                    openblas_set_num_threads(1)
                    defer { openblas_set_num_threads(previous) }
                    // Each matrix is cut into row blocks too, so a batch that does not divide by the thread count (3 heads
                    // on 2 threads) still keeps every thread busy.
                    let parallel = m * n * k >= 1 << 14 && threads > 1
                    let blocks = parallel && m >= 8 * threads ? threads : 1
                    let rows = (m + blocks - 1) / blocks
                    parallelFor(batchCount * blocks, threads: parallel ? threads : 1) { range in
                        for task in range {
                            let bi = task / blocks, r0 = (task % blocks) * rows, r1 = min(m, r0 + rows)
                            guard r0 < r1 else { continue }
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(r1 - r0), Int32(n), Int32(k), 1,
                                        a0 + bi * aStride + r0 * k, Int32(k), b0 + bi * bStride, Int32(n), 0, op + bi * m * n + r0 * n, Int32(n))
                        }
                    }
                }
            }
        }
        var shape = batch + [m, n]
        if aVec { shape.remove(at: shape.count - 2) }
        if bVec { shape.removeLast() }
        return Tensor(shape: shape, floats: out)
    }
}
