import CDNNL
import KenningCore

/// Moving constant weights into a primitive's layout, and the caller's tensors into and out of it.
extension OneDNNFactory {
    /// Memory in `packed` layout holding `values` (given in `user` layout): reordered once, when the layouts differ
    /// (the reorder also computes int8 compensation). Every memory created is appended to `keep`.
    func packedWeights<T>(_ values: [T], user: UnsafePointer<dnnl_memory_desc_t>, packed: UnsafePointer<dnnl_memory_desc_t>,
                          keep: inout [dnnl_memory_t], _ label: String) throws(KenningError) -> dnnl_memory_t {
        let userMemory = try memory(user, allocate: true, label)
        keep.append(userMemory)
        try fill(userMemory, bytes: values, label)
        guard dnnl_memory_desc_equal(user, packed) == 0 else { return userMemory }
        let packedMemory = try memory(packed, allocate: true, label)
        keep.append(packedMemory)
        let reorder = try self.reorder(from: user, to: packed, label)
        defer { dnnl_primitive_destroy(reorder) }
        try execute(reorder, [(DNNL_ARG_FROM, userMemory), (DNNL_ARG_TO, packedMemory)], label)
        try wait(label)
        return packedMemory
    }
}

extension OneDNNConvPlan {
    /// Binds the caller-layout source and destination (no data yet) and, where the primitive prefers other layouts,
    /// the primitive's own memories with the reorders between them (and the reorder that brings a residual in).
    func bindIO(_ ctx: OneDNNFactory, userSource: UnsafePointer<dnnl_memory_desc_t>, source: UnsafePointer<dnnl_memory_desc_t>,
                userDestination: UnsafePointer<dnnl_memory_desc_t>, destination: UnsafePointer<dnnl_memory_desc_t>,
                residual: Bool, _ label: String) throws(KenningError) {
        let userSrc = try ctx.memory(userSource, allocate: false, label)
        let userDst = try ctx.memory(userDestination, allocate: false, label)
        memories += [userSrc, userDst]
        (self.userSrc, self.userDst) = (userSrc, userDst)
        convSrc = userSrc
        convDst = userDst
        if let staged = try staging(ctx, user: userSource, primitive: source, toPrimitive: true, label) {
            (convSrc, srcReorder) = (staged.memory, staged.reorder)
        }
        if let staged = try staging(ctx, user: userDestination, primitive: destination, toPrimitive: false, label) {
            (convDst, dstReorder) = (staged.memory, staged.reorder)
            if residual {
                residualReorder = try ctx.reorder(from: userDestination, to: destination, label)
                objects.append(residualReorder!)
            }
        }
    }

    /// When the primitive's layout differs from the caller's: a memory in the primitive's layout and the reorder
    /// between the two (caller → primitive when `toPrimitive`, else back), both kept by the plan.
    private func staging(_ ctx: OneDNNFactory, user: UnsafePointer<dnnl_memory_desc_t>, primitive: UnsafePointer<dnnl_memory_desc_t>,
                         toPrimitive: Bool, _ label: String) throws(KenningError) -> (memory: dnnl_memory_t, reorder: dnnl_primitive_t)? {
        guard dnnl_memory_desc_equal(user, primitive) == 0 else { return nil }
        let m = try ctx.memory(primitive, allocate: true, label)
        memories.append(m)
        let reorder = toPrimitive ? try ctx.reorder(from: user, to: primitive, label) : try ctx.reorder(from: primitive, to: user, label)
        objects.append(reorder)
        return (m, reorder)
    }
}
