import KenningCore

/// Output size and source coordinate of every output position along each axis of a Resize (ONNX's rules, as ONNX
/// Runtime applies them: the output size is ⌊input · scale⌋, or the given size with scale = output / input).
struct ResizeGeometry {
    let input: [Int]
    let output: [Int]
    let scales: [Float]
    let transform: String

    init(input: [Int], scales: [Float]?, sizes: [Int]?, transform: String) throws {
        let rank = input.count
        guard ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "half_pixel_symmetric"].contains(transform) else {
            throw KernelError(reason: "coordinate_transformation_mode \"\(transform)\" is not supported")
        }
        if let sizes, !sizes.isEmpty {
            guard sizes.count == rank, sizes.allSatisfy({ $0 > 0 }) else { throw KernelError(reason: "sizes \(sizes) do not fit input \(input)") }
            self.output = sizes
            self.scales = (0..<rank).map { Float(sizes[$0]) / Float(max(input[$0], 1)) }
        } else if let scales, scales.count == rank {
            guard scales.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw KernelError(reason: "scales \(scales) must be positive") }
            self.scales = scales
            self.output = (0..<rank).map { Int((Float(input[$0]) * scales[$0]).rounded(.down)) }
            guard output.allSatisfy({ $0 > 0 }) else { throw KernelError(reason: "scales \(scales) shrink \(input) to nothing") }
        } else {
            throw KernelError(reason: "Resize needs scales or sizes for every axis of \(input) (got \(scales ?? []))")
        }
        self.input = input
        self.transform = transform
    }

    /// Where output position `o` of `axis` falls in the input, in input pixels.
    func source(_ o: Int, axis: Int) -> Float {
        let scale = scales[axis], x = Float(o)
        let inSize = input[axis], outSize = output[axis]
        switch transform {
        case "align_corners": return outSize == 1 ? 0 : x * Float(inSize - 1) / Float(outSize - 1)
        case "asymmetric": return x / scale
        case "pytorch_half_pixel": return outSize > 1 ? (x + 0.5) / scale - 0.5 : 0
        case "tf_half_pixel_for_nn": return (x + 0.5) / scale
        case "half_pixel_symmetric":
            let adjustment = Float(outSize) / (scale * Float(inSize))
            let offset = Float(inSize) / 2 * (1 - adjustment)
            return offset + (x + 0.5) / scale - 0.5
        default: return (x + 0.5) / scale - 0.5
        }
    }
}
