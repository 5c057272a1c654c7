import Foundation
import KenningCore
import KenningModel

/// Reference kernels: slicing, splitting, padding, broadcasting copies, index ranges and reductions.
extension ReferenceOps {
    static func registerIndexing(_ table: inout Table) {
        table.add("Slice") { node, c in
            let opset = c.opset
            let attrStarts = node.ints("starts"), attrEnds = node.ints("ends"), attrAxes = node.ints("axes")
            return { a in
                let x = try required(a, 0, "data")
                func input(_ i: Int) -> [Int]? { i < a.count ? a[i]?.ints.map { Int(clamping: $0) } : nil }
                let starts = opset >= 10 ? try required(a, 1, "starts").ints.map { Int(clamping: $0) } : attrStarts ?? []
                let ends = opset >= 10 ? try required(a, 2, "ends").ints.map { Int(clamping: $0) } : attrEnds ?? []
                let axes = (opset >= 10 ? input(3) : attrAxes) ?? Array(0..<starts.count)
                let steps = (opset >= 10 ? input(4) : nil) ?? [Int](repeating: 1, count: starts.count)
                return [try Kernels.slice(x, starts: starts, ends: ends, axes: axes, steps: steps)]
            }
        }
        table.add("Split") { node, c in
            let opset = c.opset
            let axis = node.int("axis", default: 0), attrSplit = node.ints("split")
            let count = node.outputs.count, numOutputs = node[attribute: "num_outputs"] == nil ? nil : node.int("num_outputs", default: 0)
            return { a in
                let x = try required(a, 0, "input")
                let ax = try Kernels.axis(axis, rank: x.shape.count)
                let dim = x.shape[ax]
                let sizes: [Int]
                if let given = (opset >= 13 ? (a.count > 1 ? a[1]?.ints.map { Int($0) } : nil) : attrSplit) {
                    sizes = given
                } else {
                    let parts = numOutputs ?? count
                    guard parts > 0 else { throw KernelError(reason: "Split into 0 parts") }
                    let size = (dim + parts - 1) / parts
                    sizes = (0..<parts).map { min(size, max(0, dim - $0 * size)) }
                }
                guard sizes.reduce(0, +) == dim, sizes.allSatisfy({ $0 >= 0 }) else {
                    throw KernelError(reason: "split sizes \(sizes) do not add up to dimension \(dim) of \(x.shape)")
                }
                var start = 0
                return try sizes.map { size in
                    defer { start += size }
                    return try Kernels.slice(x, starts: [start], ends: [start + size], axes: [ax], steps: [1])
                }
            }
        }
        table.add("Pad") { node, c in
            let opset = c.opset
            let mode = node.string("mode") ?? "constant", attrPads = node.ints("pads"), attrValue = node.float("value", default: 0)
            return { a in
                let x = try required(a, 0, "data")
                let rank = x.shape.count
                var pads = opset >= 11 ? try required(a, 1, "pads").ints.map { Int($0) } : attrPads ?? []
                let value = opset >= 11 ? (a.count > 2 ? a[2]?.floats.first ?? 0 : 0) : attrValue
                if opset >= 18, a.count > 3, let axesTensor = a[3] {
                    let axes = try axesTensor.ints.map { try Kernels.axis(Int($0), rank: rank) }
                    var full = [Int](repeating: 0, count: 2 * rank)
                    for (i, ax) in axes.enumerated() where i + axes.count < pads.count {
                        full[ax] = pads[i]
                        full[ax + rank] = pads[i + axes.count]
                    }
                    pads = full
                }
                return [try Kernels.pad(x, pads: pads, mode: mode, value: value)]
            }
        }
        table.add("Expand") { _, _ in
            { a in
                let x = try required(a, 0, "input")
                let target = try required(a, 1, "shape").ints.map { Int($0) }
                let shape = try Kernels.broadcastShape(x.shape, target)
                return [Kernels.broadcastCopy(x, to: shape)]
            }
        }
        table.add("Tile") { _, _ in
            { a in
                let x = try required(a, 0, "input")
                let repeats = try required(a, 1, "repeats").ints.map { Int($0) }
                guard repeats.count == x.shape.count, repeats.allSatisfy({ $0 >= 0 }) else {
                    throw KernelError(reason: "repeats \(repeats) do not fit input of shape \(x.shape)")
                }
                let shape = zip(x.shape, repeats).map { $0 * $1 }
                let strides = Tensor.strides(of: x.shape)
                let offsets = IndexWalk.mapped(shape: shape) { i in (0..<i.count).reduce(0) { $0 + (i[$1] % x.shape[$1]) * strides[$1] } }
                return [x.picking(offsets, shape: shape)]
            }
        }
        table.add("Range") { _, _ in
            { a in
                let start = try required(a, 0, "start"), limit = try required(a, 1, "limit"), delta = try required(a, 2, "delta")
                let s = Double(start.floats.first ?? 0), l = Double(limit.floats.first ?? 0), d = Double(delta.floats.first ?? 1)
                guard d != 0 else { throw KernelError(reason: "Range with delta 0") }
                let n = max(0, Int(ceil((l - s) / d)))
                guard n <= 1 << 28 else { throw KernelError(reason: "Range of \(n) elements") }
                if start.elementType == .float32 { return [Tensor(shape: [n], floats: (0..<n).map { Float(s + Double($0) * d) })] }
                return [Tensor(shape: [n], ints: (0..<n).map { Int64(s + Double($0) * d) })]
            }
        }
        table.add("DepthToSpace", "SpaceToDepth") { node, _ in
            let toSpace = node.opType == "DepthToSpace", block = node.int("blocksize", default: 0)
            let crd = node.string("mode") == "CRD"
            return { a in [try Kernels.depthSpace(try required(a, 0, "input"), block: block, toSpace: toSpace, crd: crd)] }
        }
        table.add("ArgMax", "ArgMin") { node, _ in
            let isMax = node.opType == "ArgMax", axis = node.int("axis", default: 0)
            let keep = node.int("keepdims", default: 1) == 1, last = node.int("select_last_index", default: 0) == 1
            return { a in [try Kernels.argExtreme(try required(a, 0, "data"), axis: axis, keepDims: keep, isMax: isMax, last: last)] }
        }
        for kind in Kernels.Reduction.allCases {
            table.add(kind.rawValue) { node, c in
                // Axes move from an attribute to an input in opset 13 for ReduceSum and opset 18 for the others.
                let axesAsInput = c.opset >= (kind == .sum ? 13 : 18)
                let attrAxes = node.ints("axes"), keep = node.int("keepdims", default: 1) == 1
                let noopWhenEmpty = node.int("noop_with_empty_axes", default: 0) == 1
                return { a in
                    let x = try required(a, 0, "data")
                    let axes = axesAsInput ? (a.count > 1 ? a[1]?.ints.map { Int($0) } : nil) : attrAxes
                    if (axes ?? []).isEmpty, noopWhenEmpty { return [x] }
                    return [try Kernels.reduce(x, axes: axes ?? [], keepDims: keep, kind)]
                }
            }
        }
    }
}
