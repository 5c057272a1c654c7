import Foundation
import KenningCore
import KenningWorkers

/// An open session with a target: connected (retrying while the target is coming back), greeted or woken with PING,
/// and authenticated when the protocol has a secret. Failures carry the codes the search classifies runs by:
/// `targetLost` (unreachable, dropped, died) and `targetTimeout` (no answer within the protocol's timeout).
final class TargetClient {
    let client: ProtocolClient
    let link: TargetLink
    let timeout: Double
    /// How long a connection is retried while the target refuses it (a server restarting).
    static let reconnectWindow = 10.0

    init(_ proto: any TargetProtocol) throws(KenningError) {
        link = proto.link
        timeout = proto.timeout ?? 86_400
        let stream: ByteStream
        switch proto.link {
        case let .network(host, port):
            let deadline = monotonicSeconds() + Self.reconnectWindow
            var attempt: ByteStream?
            var lastError = ""
            while attempt == nil {
                do {
                    attempt = try ByteStream(host: host, port: port, timeout: min(timeout, 10))
                } catch {
                    lastError = error.description
                    if case let .connect(text) = error, text.contains("not an IPv4") {
                        throw .badInput("\(host) is not an IPv4 address", path: "$.protocol.parameters.host", fix: "give the target's address, e.g. 10.0.0.2")
                    }
                    guard monotonicSeconds() < deadline else {
                        throw KenningError(.failure, [Problem("cannot reach the target \(host):\(port): \(lastError)",
                                                              fix: "start `kenning server --json-cfg …` there, or check the protocol's host and port")],
                                           code: .targetLost)
                    }
                    usleep(200_000)
                }
            }
            stream = attempt!
        case let .uart(port, baud):
            do {
                stream = try ByteStream.serial(path: port, baudrate: baud)
            } catch {
                throw KenningError(.failure, [Problem("cannot open the target's serial line: \(error.description)", fix: "check the protocol's port")],
                                   code: .targetLost)
            }
        }
        stream.packetSize = proto.packetSize
        client = ProtocolClient(connection: stream)
        client.maxMessageSize = proto.maxMessageSize
        do {
            switch link {
            case .network:
                try client.awaitGreeting(timeout: timeout)
                if let file = proto.secretFile {
                    try client.authenticate(secret: try SharedSecret.read(file: file), timeout: timeout)
                }
            case .uart:
                try client.upload(.ping, flags: [.success], timeout: timeout)
            }
        } catch {
            client.close()
            throw Self.error(error, link: link, doing: "starting a session")
        }
    }

    /// The error of a failed exchange, classified.
    static func error(_ f: ProtocolClient.Failure, link: TargetLink, doing: String) -> KenningError {
        let what = "the target \(link) failed while \(doing): \(f.description)"
        switch f {
        case .transport(.timedOut):
            return KenningError(.failure, [Problem(what, fix: "the target stopped answering; check it, or raise the protocol's timeout")], code: .targetTimeout)
        case .transport:
            return KenningError(.failure, [Problem(what, fix: "the target went away; check its server's log")], code: .targetLost)
        case .refused, .protocolViolation:
            return .failure(what, fix: "see the target server's log")
        }
    }

    func upload(_ type: MessageType, _ payload: [UInt8] = []) throws(KenningError) {
        do { try client.upload(type, payload: payload, timeout: timeout) } catch { throw Self.error(error, link: link, doing: "\(type)") }
    }

    func download(_ type: MessageType) throws(KenningError) -> [UInt8] {
        do { return try client.download(type, timeout: timeout) } catch { throw Self.error(error, link: link, doing: "\(type)") }
    }

    /// Ends the session (a UART target is told with PING+FAIL) and closes the link.
    func close() {
        if case .uart = link { _ = try? client.request(.ping, flags: [.fail], timeout: min(timeout, 5)) }
        client.close()
    }
}
