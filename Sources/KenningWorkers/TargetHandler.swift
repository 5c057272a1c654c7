/// What a target does for each request of Kenning's runtime protocol; ``ServerSession`` calls it in a valid order only.
public protocol TargetHandler: AnyObject {
    /// IO_SPEC: Kenning's JSON IO specification (`serialized`: the packed binary form a Zephyr runtime takes).
    func ioSpec(_ payload: [UInt8], serialized: Bool) throws(TargetRefusal)
    /// MODEL: the model's bytes; the target loads it.
    func model(_ payload: [UInt8]) throws(TargetRefusal)
    /// DATA: one inference's inputs, each tensor's bytes in the IO spec's order and types.
    func data(_ payload: [UInt8]) throws(TargetRefusal)
    /// PROCESS: runs one inference on the last DATA.
    func process() throws(TargetRefusal)
    /// OUTPUT: the last inference's outputs, each tensor's bytes in the IO spec's order and types.
    func output() throws(TargetRefusal) -> [UInt8]
    /// STATS: the session's measurements as UTF-8 JSON.
    func stats() throws(TargetRefusal) -> [UInt8]
    /// OPTIMIZERS: the optimizer blocks (JSON) that OPTIMIZE_MODEL runs on this target.
    func optimizers(_ payload: [UInt8]) throws(TargetRefusal)
    /// UNOPTIMIZED_MODEL: the model OPTIMIZE_MODEL starts from.
    func unoptimizedModel(_ payload: [UInt8]) throws(TargetRefusal)
    /// OPTIMIZE_MODEL: runs the optimizers on the unoptimized model and returns the compiled model's bytes.
    func optimizeModel() throws(TargetRefusal) -> [UInt8]
    /// The client left (PING with FAIL, a closed connection, a violation): drop the session's model and inputs.
    func sessionEnded()
}
