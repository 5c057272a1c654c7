import Foundation
import KenningCore
import KenningModel

/// Reference kernels: shape, layout, indexing and type ops.
extension ReferenceOps {
    static func registerTensor(_ table: inout Table) {
        // Evaluated by constant folding, so a Constant's value is an initializer the other passes can read.
        table.add("Constant") { node, _ in
            let value = try NativeSession.constantValue(node)
            return { _ in [value] }
        }
        table.add("ConstantOfShape") { node, _ in
            let value: Tensor
            if case let .tensor(t)? = node[attribute: "value"] { value = t } else { value = Tensor(shape: [1], floats: [0]) }
            return { a in
                let shape = try required(a, 0, "input").ints.map { Int($0) }
                let count = shape.reduce(1, *)
                switch value.storage {
                case let .int64(v): return [Tensor(shape: shape, ints: [Int64](repeating: v.first ?? 0, count: count))]
                default: return [Tensor(shape: shape, floats: [Float](repeating: value.floats.first ?? 0, count: count))]
                }
            }
        }
        table.add("Size") { _, _ in { a in [Tensor(shape: [], ints: [Int64(try required(a, 0, "data").count)])] } }
        table.add("Shape") { node, _ in
            let start = node.int("start", default: 0), end = node[attribute: "end"] == nil ? nil : node.int("end", default: 0)
            return { a in
                let shape = try required(a, 0, "data").shape
                let r = shape.count
                func clampAxis(_ v: Int) -> Int { min(max(v < 0 ? v + r : v, 0), r) }
                let lo = clampAxis(start), hi = clampAxis(end ?? r)
                let dims = lo < hi ? shape[lo..<hi].map { Int64($0) } : []
                return [Tensor(shape: [dims.count], ints: dims)]
            }
        }
        table.add("Gather") { node, _ in
            let axis = node.int("axis", default: 0)
            return { a in [try Kernels.gather(try required(a, 0, "data"), indices: try required(a, 1, "indices"), axis: axis)] }
        }
        table.add("Flatten") { node, _ in
            let axis = node.int("axis", default: 1)
            return { a in
                let x = try required(a, 0, "input")
                let ax = axis < 0 ? axis + x.shape.count : axis
                guard ax >= 0, ax <= x.shape.count else { throw KernelError(reason: "axis \(axis) out of range for \(x.shape)") }
                var y = x
                y.shape = [x.shape.prefix(ax).reduce(1, *), x.shape.suffix(from: ax).reduce(1, *)]
                return [y]
            }
        }
        table.add("Reshape") { node, c in
            let opset = c.opset
            let allowZero = node.int("allowzero", default: 0) == 1
            let attrShape = node.ints("shape")
            return { a in
                let spec = opset >= 5 ? try required(a, 1, "shape").ints : (attrShape ?? []).map { Int64($0) }
                return [try Kernels.reshape(try required(a, 0, "data"), to: spec, allowZero: allowZero)]
            }
        }
        table.add("Transpose") { node, _ in
            let perm = node.ints("perm")
            return { a in [try Kernels.transpose(try required(a, 0, "data"), perm: perm)] }
        }
        table.add("Concat") { node, _ in
            let axis = node.int("axis", default: 0)
            return { a in [try Kernels.concat(a.compactMap { $0 }, axis: axis)] }
        }
        table.add("Identity", "Dropout") { _, _ in { a in [try required(a, 0, "input")] } }
        table.add("Cast") { node, _ in
            let to = node.int("to", default: 1)
            return { a in
                let x = try required(a, 0, "input")
                switch ElementType(onnxCode: to) {
                case .float32?, .float64?: return [Tensor(shape: x.shape, floats: x.floats)]
                case .float16?: return [Tensor(shape: x.shape, float16Bits: x.floats.map(\.halfBits))]
                case .int64?, .int32?, .int8?, .uint8?, .int16?, .uint16?: return [Tensor(shape: x.shape, ints: x.ints)]
                case .bool?: return [Tensor(shape: x.shape, ints: x.floats.map { $0 != 0 ? 1 : 0 })]
                default: throw KernelError(reason: "Cast to type \(to) is not supported")
                }
            }
        }
        table.add("Squeeze", "Unsqueeze") { node, _ in
            let op = NativeOps.key(node)
            let attrAxes = node.ints("axes")
            let squeeze = op == "Squeeze"
            return { a in
                let x = try required(a, 0, "data")
                let axes = (a.count > 1 ? a[1]?.ints.map { Int($0) } : nil) ?? attrAxes
                var y = x
                if squeeze {
                    let rank = x.shape.count
                    let drop = Set((axes ?? x.shape.indices.filter { x.shape[$0] == 1 }).map { $0 < 0 ? $0 + rank : $0 })
                    y.shape = x.shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
                } else {
                    guard let axes else { throw KernelError(reason: "Unsqueeze needs axes") }
                    let rank = x.shape.count + axes.count
                    var shape = x.shape
                    for ax in axes.map({ $0 < 0 ? $0 + rank : $0 }).sorted() { shape.insert(1, at: min(ax, shape.count)) }
                    y.shape = shape
                }
                return [y]
            }
        }
    }
}
