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
    /// Called once before each inference (thread-count settings that are global in the C library).
    func prepareRun()
}
