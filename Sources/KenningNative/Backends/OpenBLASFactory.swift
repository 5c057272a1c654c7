import COpenBLAS
import KenningCore

/// Adds the bias to every row and applies the activation (row-major [rows, outFeatures]).
func denseBiasActivation(_ o: UnsafeMutablePointer<Float>, rows: Int, spec: DenseSpec) {
    let n = spec.outFeatures
    if let bias = spec.bias {
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows { for j in 0..<n { o[r * n + j] += b[j] } }
        }
    }
    if spec.activation != .none {
        for i in 0..<(rows * n) { o[i] = spec.activation.apply(o[i]) }
    }
}

/// Convolutions as im2col + `cblas_sgemm`, fully connected layers as `cblas_sgemm`/`cblas_sgemv`.
/// Depthwise convolutions stay on the Swift kernel (a GEMM with one output row per channel gains nothing).
final class OpenBLASFactory: OperatorFactory {
    let threads: Int

    init(threads: Int) {
        self.threads = threads
        openblas_set_num_threads(Int32(threads))
    }

    func prepareRun() { openblas_set_num_threads(Int32(threads)) }

    var prefersChannelsLast: Bool { false }

    func conv(_ spec: ConvSpec, inputChannelsLast: Bool, outputChannelsLast: Bool) throws -> (any PlannedOperator)? {
        precondition(!inputChannelsLast && !outputChannelsLast, "OpenBLAS convolutions are planned NCHW only")
        return spec.isDepthwise ? nil : OpenBLASConv(spec, threads: threads)
    }

    func dense(_ spec: DenseSpec) throws -> (any PlannedOperator)? { OpenBLASDense(spec, threads: threads) }
}
