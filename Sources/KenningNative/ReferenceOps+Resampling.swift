import Foundation
import KenningCore
import KenningModel

/// Reference kernels: resizing, transposed convolution and the normalizations over axes.
extension ReferenceOps {
    static func registerResampling(_ table: inout Table) {
        table.add("Resize") { node, c in
            let opset = c.opset
            let mode = node.string("mode") ?? "nearest"
            // Opset 10's Resize has no coordinate_transformation_mode and behaves as "asymmetric".
            let transform = opset >= 11 ? node.string("coordinate_transformation_mode") ?? "half_pixel" : "asymmetric"
            let nearest = opset >= 11 ? node.string("nearest_mode") ?? "round_prefer_floor" : "floor"
            let cubic = node.float("cubic_coeff_a", default: -0.75), exclude = node.int("exclude_outside", default: 0) == 1
            return { a in
                let x = try required(a, 0, "X")
                let scales = (opset >= 11 ? (a.count > 2 ? a[2] : nil) : (a.count > 1 ? a[1] : nil)).map(\.floats).flatMap { $0.isEmpty ? nil : $0 }
                let sizes = opset >= 11 && a.count > 3 ? a[3]?.ints.map { Int($0) } : nil
                let geometry = try ResizeGeometry(input: x.shape, scales: scales, sizes: sizes, transform: transform)
                return [try Kernels.resize(x, geometry, mode: mode, nearest: nearest, cubic: cubic, excludeOutside: exclude)]
            }
        }
        table.add("Upsample") { node, c in
            let opset = c.opset
            let mode = node.string("mode") ?? "nearest", attrScales = node.floatList("scales")
            return { a in
                let x = try required(a, 0, "X")
                let scales = opset >= 9 ? try required(a, 1, "scales").floats : attrScales ?? []
                let geometry = try ResizeGeometry(input: x.shape, scales: scales, sizes: nil, transform: "asymmetric")
                return [try Kernels.resize(x, geometry, mode: mode == "bilinear" ? "linear" : mode, nearest: "floor", cubic: -0.75,
                                           excludeOutside: false)]
            }
        }
        table.add("ConvTranspose") { node, c in
            let threads = c.threads
            return { a in
                [try Kernels.convTranspose(x: try required(a, 0, "X"), w: try required(a, 1, "W"), b: a.count > 2 ? a[2] : nil, node: node,
                                           threads: threads)]
            }
        }
        table.add("LayerNormalization") { node, _ in
            let axis = node.int("axis", default: -1), epsilon = node.float("epsilon", default: 1e-5)
            return { a in
                try Kernels.layerNorm(try required(a, 0, "X"), scale: a.count > 1 ? a[1] : nil, bias: a.count > 2 ? a[2] : nil,
                                      axis: axis, epsilon: epsilon)
            }
        }
        table.add("InstanceNormalization") { node, _ in
            let epsilon = node.float("epsilon", default: 1e-5)
            return { a in
                [try Kernels.instanceNorm(try required(a, 0, "input"), scale: try required(a, 1, "scale"), bias: try required(a, 2, "B"),
                                          epsilon: epsilon)]
            }
        }
    }
}
