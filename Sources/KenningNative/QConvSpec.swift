import CXNNPACK
import KenningCore
import KenningModel

/// A QLinearConv node's parameters, read once at planning.
struct QConvSpec {
    let label: String
    let conv: ConvSpec          // geometry (weights as float copies of the int8 values)
    let weights: [Int8]         // OIHW
    let weightScales: [Float]
    let bias: [Int32]
    let inputScale: Float, inputZero: Int8, outputScale: Float, outputZero: Int8
    let outputMin: Int8, outputMax: Int8

    /// The largest |weight|: above 64, u8×s8 dot products without VNNI saturate (`vpmaddubsw` pair sums).
    var maxAbsWeight: Int { weights.reduce(0) { Swift.max($0, abs(Int($1))) } }

    init?(node: Node, constants: [Tensor?]) {
        func c(_ i: Int) -> Tensor? { i < constants.count ? constants[i] : nil }
        guard let sx = c(1), let zx = c(2), let w = c(3), case let .int8(wv) = w.storage, let sw = c(4), let sy = c(6), let zy = c(7),
              let b = c(8), let conv = try? ConvSpec(node: node, weights: Tensor(shape: w.shape, floats: wv.map { Float($0) }), bias: nil,
                                                       activation: .none)
        else { return nil }
        label = node.label
        self.conv = conv
        weights = wv
        weightScales = sw.floats
        bias = b.ints.map { Int32($0) }
        inputScale = sx.floats[0]
        inputZero = Int8(zx.ints[0])
        outputScale = sy.floats[0]
        outputZero = Int8(zy.ints[0])
        outputMin = Int8(node.int("activation_min", default: -128))
        outputMax = Int8(node.int("activation_max", default: 127))
    }
}
