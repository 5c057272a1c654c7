import CDNNL
import KenningModel
import KenningCore

/// Everything one convolution needs for one input shape: the primitive, its weights in the primitive's layout,
/// and reorders between the caller's NCHW tensors and the primitive's preferred (blocked) layouts.
final class OneDNNConvPlan {
    /// int8 without VNNI: the u8 copy of the activations, reused by every run of this shape.
    var shiftedSource: [Int8] = []
    var objects: [dnnl_primitive_t] = []
    var memories: [dnnl_memory_t] = []
    /// OpenMP threads the primitive was planned for (and runs with).
    var threads = 1
    var conv: dnnl_primitive_t?
    var srcReorder: dnnl_primitive_t?
    var dstReorder: dnnl_primitive_t?
    /// Brings the residual (given in the caller's layout) into the primitive's destination before a sum post-op.
    var residualReorder: dnnl_primitive_t?
    var userSrc: dnnl_memory_t?, userDst: dnnl_memory_t?
    var convSrc: dnnl_memory_t?, convDst: dnnl_memory_t?, weights: dnnl_memory_t?, bias: dnnl_memory_t?

    deinit {
        for p in objects { dnnl_primitive_destroy(p) }
        for m in memories { dnnl_memory_destroy(m) }
    }
}
