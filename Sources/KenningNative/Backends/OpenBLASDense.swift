import COpenBLAS
import KenningCore

final class OpenBLASDense: PlannedOperator {
    let spec: DenseSpec
    let threads: Int
    let weights: FloatBuffer

    init(_ spec: DenseSpec, threads: Int) {
        self.spec = spec
        self.threads = threads
        weights = FloatBuffer(spec.weights)
    }

    func run(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        let (rows, shape) = try spec.rows(x.shape)
        let (k, n) = (spec.inFeatures, spec.outFeatures)
        let xs = x.floats
        let out = makeFloats(rows * n) { o in
            xs.withUnsafeBufferPointer { xb in
                if rows == 1 {
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, weights.pointer, Int32(k), xb.baseAddress!, 1, 0, o, 1)
                } else {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(k), 1, xb.baseAddress!, Int32(k),
                                weights.pointer, Int32(k), 0, o, Int32(n))
                }
            }
            denseBiasActivation(o, rows: rows, spec: spec)
        }
        return Tensor(shape: shape, floats: out)
    }
}
