/// How `kenning server` listens and what it accepts.
public struct ServerSettings: Sendable {
    /// The address bound (loopback unless the user says otherwise) and the port (the scenario's protocol's, or this).
    public var host: String?
    public var port: Int?
    /// The shared secret file; required when `host` is not a loopback address.
    public var secretFile: String?
    /// The largest model (MODEL, UNOPTIMIZED_MODEL) accepted, in bytes.
    public var maxModelBytes = 256 << 20
    /// The largest other request (inputs, IO spec, optimizers), in bytes.
    public var maxRequestBytes = 64 << 20
    /// A client that sends nothing for this long is disconnected.
    public var idleTimeout = 300.0
    /// A request that has started arriving must arrive whole within this long.
    public var requestTimeout = 120.0
    /// Serve this many clients, then exit (nil: until stopped). For tests and one-shot use.
    public var maxClients: Int?
    /// Where models and compiled files are written (a fresh temporary folder when nil).
    public var workDir: String?

    public init() {}
}
