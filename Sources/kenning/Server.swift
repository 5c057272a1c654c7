import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

struct Server: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve Kenning's runtime protocol on this machine, so a host measures its models here (the target side).",
        discussion: """
        Reads the scenario's `protocol` (NetworkProtocol: the port; UARTProtocol: the serial line) and `runtime` (the one \
        used when a client names none). Listens on loopback unless --host says otherwise; off loopback a shared secret \
        (--secret-file) is required, and clients give the same file as their protocol's secret_file.
        """)

    @Option(name: [.customLong("json-cfg"), .customLong("cfg")], help: "Scenario with the protocol and runtime blocks (JSON or YAML)")
    var jsonCfg: String

    @Option(help: "Address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)")
    var host: String?

    @Option(help: "Port to listen on (default: the protocol's port; 0 picks a free one)")
    var port: Int?

    @Option(name: .customLong("secret-file"), help: "File with the shared secret clients must prove they know")
    var secretFile: String?

    @Option(name: .customLong("max-model-mb"), help: "Largest model accepted, in MiB")
    var maxModelMB = 256

    @Option(name: .customLong("max-request-mb"), help: "Largest other request (inputs, IO spec), in MiB")
    var maxRequestMB = 64

    @Option(name: .customLong("idle-timeout"), help: "Seconds a client may stay silent before it is disconnected")
    var idleTimeout = 300.0

    @Option(name: .customLong("request-timeout"), help: "Seconds a started request has to arrive whole")
    var requestTimeout = 120.0

    @Option(name: .customLong("max-clients"), help: "Exit after serving this many clients (default: serve until stopped)")
    var maxClients: Int?

    @Option(name: .customLong("work-dir"), help: "Where received models are written (default: a temporary folder)")
    var workDir: String?

    @Option(help: "Log level: DEBUG, INFO, WARNING, ERROR, CRITICAL")
    var verbosity: Verbosity = .INFO

    func run() throws {
        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.secretFile = secretFile
        settings.maxModelBytes = maxModelMB << 20
        settings.maxRequestBytes = maxRequestMB << 20
        settings.idleTimeout = idleTimeout
        settings.requestTimeout = requestTimeout
        settings.maxClients = maxClients
        settings.workDir = workDir
        let quiet = verbosity != .DEBUG && verbosity != .INFO
        let log: @Sendable (String) -> Void = { line in
            if !quiet { FileHandle.standardError.write(Data(("kenning server: " + line + "\n").utf8)) }
        }
        let server = try TargetServer(scenarioPath: jsonCfg, settings: settings, log: log)
        try server.run(ready: { address in
            // One line on stdout when ready, for scripts that start a server and wait for it.
            FileHandle.standardOutput.write(Data("listening \(address)\n".utf8))
        })
    }
}
