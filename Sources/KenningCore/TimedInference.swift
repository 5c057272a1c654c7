/// One inference: its outputs, the seconds it took where the model runs, and when it finished (seconds on this
/// process's monotonic clock).
public struct TimedInference: Sendable {
    public var outputs: [Tensor]
    public var seconds: Double
    public var finished: Double

    public init(outputs: [Tensor], seconds: Double, finished: Double) {
        self.outputs = outputs
        self.seconds = seconds
        self.finished = finished
    }
}
