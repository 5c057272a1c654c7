import Foundation

/// A loaded model, owned by one task.
public protocol InferenceSession: AnyObject {
    func run(_ inputs: [Tensor]) throws(KenningError) -> [Tensor]
    /// Runs each input set as one timed inference, in order. The time is the one taken where the model runs (e.g.
    /// inside a worker process, around the framework's own call); sessions that run in this process time `run`.
    /// A session may send several sets to its model at once, so the gap between inferences stays small.
    func runTimed(_ sets: [[Tensor]]) throws(KenningError) -> [TimedInference]
    /// What the session learned about itself that the measurements should record (e.g. the execution providers a
    /// framework really uses, and warnings about the fallbacks it made).
    var details: [(String, JSONValue)] { get }
    /// Entries for the top level of the measurements file (a remote target's own figures, the protocol's round trips).
    var measurements: [(String, JSONValue)] { get }
}

extension InferenceSession {
    public var details: [(String, JSONValue)] { [] }
    public var measurements: [(String, JSONValue)] { [] }

    public func runTimed(_ sets: [[Tensor]]) throws(KenningError) -> [TimedInference] {
        var out: [TimedInference] = []
        out.reserveCapacity(sets.count)
        for inputs in sets {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let outputs = try run(inputs)
            let t1 = DispatchTime.now().uptimeNanoseconds
            out.append(TimedInference(outputs: outputs, seconds: Double(t1 - t0) / 1e9, finished: Double(t1) / 1e9))
        }
        return out
    }
}
