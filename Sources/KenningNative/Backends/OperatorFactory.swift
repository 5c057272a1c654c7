import KenningCore
import KenningModel

/// A backend's factory for planned operators; nil means "not this form, use the reference kernel".
protocol OperatorFactory: AnyObject {
    /// True when the library's convolutions work on channels-last data; the session then keeps activations
    /// channels-last between them and converts only at NCHW-only operators.
    var prefersChannelsLast: Bool { get }
    /// A convolution reading and writing the given layouts (channels-last when true, NCHW otherwise).
    func conv(_ spec: ConvSpec, inputChannelsLast: Bool, outputChannelsLast: Bool) throws -> (any PlannedOperator)?
    func dense(_ spec: DenseSpec) throws -> (any PlannedOperator)?
    /// An int8 convolution (QLinearConv) on this library and its provider name, or nil to run it on XNNPACK QC8
    /// (`fallback`). Throws when the library cannot compute it exactly on this CPU and `strict` (the backend was
    /// chosen explicitly) is set.
    func qconv(_ spec: QConvSpec, inputChannelsLast: Bool, outputChannelsLast: Bool, strict: Bool,
               fallback: @escaping () throws -> XNNPACKQConv) throws -> (operator: any PlannedOperator, provider: String)?
    /// A pooling operator on channels-last data, or nil for the channels-last Swift kernel.
    func channelsLastPool(_ node: Node) -> (any PlannedOperator)?
    /// Softmax or LayerNormalization on row-major data, or nil for the reference kernel.
    func normalization(_ node: Node, constants: [Tensor?], opset: Int) -> (any PlannedOperator)?
    /// Called once before each inference (thread-count settings that are global in the C library).
    func prepareRun()
}

extension OperatorFactory {
    func qconv(_ spec: QConvSpec, inputChannelsLast: Bool, outputChannelsLast: Bool, strict: Bool,
               fallback: @escaping () throws -> XNNPACKQConv) throws -> (operator: any PlannedOperator, provider: String)? { nil }

    func channelsLastPool(_ node: Node) -> (any PlannedOperator)? { nil }

    func normalization(_ node: Node, constants: [Tensor?], opset: Int) -> (any PlannedOperator)? { nil }
}
