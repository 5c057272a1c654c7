import Foundation
import KenningWorkers
import Testing

/// A target that records what it was asked and answers with fixed bytes.
final class RecordingTarget: TargetHandler {
    var calls: [String] = []
    var payloads: [String: [UInt8]] = [:]
    var refuseModel: String?

    func ioSpec(_ payload: [UInt8], serialized: Bool) throws(TargetRefusal) { calls.append("io_spec"); payloads["io_spec"] = payload }
    func model(_ payload: [UInt8]) throws(TargetRefusal) {
        calls.append("model")
        if let refuseModel { throw TargetRefusal(refuseModel) }
        payloads["model"] = payload
    }
    func data(_ payload: [UInt8]) throws(TargetRefusal) { calls.append("data"); payloads["data"] = payload }
    func process() throws(TargetRefusal) { calls.append("process") }
    func output() throws(TargetRefusal) -> [UInt8] { calls.append("output"); return [0x11, 0x22] }
    func stats() throws(TargetRefusal) -> [UInt8] { calls.append("stats"); return Array("{}".utf8) }
    func optimizers(_ payload: [UInt8]) throws(TargetRefusal) { calls.append("optimizers") }
    func unoptimizedModel(_ payload: [UInt8]) throws(TargetRefusal) { calls.append("unoptimized_model") }
    func optimizeModel() throws(TargetRefusal) -> [UInt8] { calls.append("optimize_model"); return [9] }
    func sessionEnded() { calls.append("ended") }
}

/// Splits a server's reply bytes back into transmissions.
func transmissions(_ bytes: [UInt8]) throws -> [Transmission] {
    var decoder = RequestDecoder()
    return decoder.feed(bytes).compactMap { e in if case let .transmission(t) = e { return t }; return nil }
}

/// The bytes a Kenning client and server exchange, hand-computed from the protocol's description (a 12-byte header:
/// 38-bit type and 2-bit flow control in bytes 0–4, checksum 0 without error recovery, 16-bit flags, 32-bit size),
/// fed to and read from our server session: a Kenning client (which sets no IS_HOST_MESSAGE flag) can drive it.
@Suite struct KenningServerWire {
    // Requests as Kenning's client sends them: flags HAS_PAYLOAD|FIRST|LAST = 0x38, or FIRST|LAST = 0x30 without payload.
    static let ioSpecRequest: [UInt8] = [0x07, 0, 0, 0, 0x00, 0, 0x38, 0, 0x02, 0, 0, 0, 0x7B, 0x7D]        // IO_SPEC "{}"
    static let modelRequest: [UInt8] = [0x03, 0, 0, 0, 0x00, 0, 0x38, 0, 0x03, 0, 0, 0, 0xAA, 0xBB, 0xCC]
    static let dataRequest: [UInt8] = [0x02, 0, 0, 0, 0x00, 0, 0x38, 0, 0x01, 0, 0, 0, 0x05]
    static let processRequest: [UInt8] = [0x04, 0, 0, 0, 0x00, 0, 0x30, 0, 0, 0, 0, 0]
    static let outputRequest: [UInt8] = [0x05, 0, 0, 0, 0x00, 0, 0x30, 0, 0, 0, 0, 0]
    static let statsRequest: [UInt8] = [0x06, 0, 0, 0, 0x00, 0, 0x30, 0, 0, 0, 0, 0]

    /// Replies: TRANSMISSION (byte 4 = 0xC0), SUCCESS|IS_KENNING|HAS_PAYLOAD|FIRST|LAST = 0x79, one action byte.
    static func statusReply(_ type: UInt8, _ action: UInt8) -> [UInt8] { [type, 0, 0, 0, 0xC0, 0, 0x79, 0, 0x01, 0, 0, 0, action] }

    @Test func kenningClientSessionGoldenBytes() {
        var session = ServerSession()
        let target = RecordingTarget()
        #expect(session.feed(Self.ioSpecRequest, handler: target).bytes == Self.statusReply(0x07, 2))     // UPLOADING_IOSPEC
        #expect(session.feed(Self.modelRequest, handler: target).bytes == Self.statusReply(0x03, 3))      // UPLOADING_MODEL
        #expect(target.payloads["model"] == [0xAA, 0xBB, 0xCC])
        #expect(session.feed(Self.dataRequest, handler: target).bytes == Self.statusReply(0x02, 5))       // UPLOADING_INPUT
        #expect(session.feed(Self.processRequest, handler: target).bytes == Self.statusReply(0x04, 6))    // PROCESSING_INPUT
        // OUTPUT answers with the data itself: SUCCESS|IS_KENNING|HAS_PAYLOAD|FIRST|LAST, two bytes.
        #expect(session.feed(Self.outputRequest, handler: target).bytes == [0x05, 0, 0, 0, 0xC0, 0, 0x79, 0, 0x02, 0, 0, 0, 0x11, 0x22])
        #expect(session.feed(Self.statsRequest, handler: target).bytes == [0x06, 0, 0, 0, 0xC0, 0, 0x79, 0, 0x02, 0, 0, 0, 0x7B, 0x7D])
        #expect(target.calls == ["io_spec", "model", "data", "process", "output", "stats"])
    }

    @Test func requestsSplitAcrossReadsAndMessages() {
        // A MODEL of 1013 bytes in Kenning's 1024-byte messages: FIRST (0x18 without HOST) of 1012, then LAST (0x28) of 1.
        let payload = (0..<1013).map { UInt8(truncatingIfNeeded: $0) }
        let wire = Message.wire(type: .model, flow: .request, flags: [], payload: payload)
        #expect(Array(wire[0..<12]) == [0x03, 0, 0, 0, 0, 0, 0x18, 0, 0xF4, 0x03, 0, 0])
        #expect(Array(wire[1024..<1036]) == [0x03, 0, 0, 0, 0, 0, 0x28, 0, 0x01, 0, 0, 0])
        var session = ServerSession()
        let target = RecordingTarget()
        _ = session.feed(Self.ioSpecRequest, handler: target)
        var replies: [UInt8] = []
        for byte in wire { replies += session.feed([byte], handler: target).bytes }     // one byte per read
        #expect(replies == Self.statusReply(0x03, 3))
        #expect(target.payloads["model"] == payload)
    }

    @Test func outOfOrderRequestsGetFailWithAReason() throws {
        var session = ServerSession()
        let target = RecordingTarget()
        let step = session.feed(Self.processRequest, handler: target)
        #expect(!step.close)
        let replies = try transmissions(step.bytes)
        // First the reason, as LOGS (type 13, IS_KENNING|HAS_PAYLOAD|FIRST|LAST = 0x78), then PROCESS with FAIL (0x7A).
        #expect(Array(step.bytes[0..<8]) == [0x0D, 0, 0, 0, 0xC0, 0, 0x78, 0])
        #expect(replies.map(\.type) == [.logs, .process])
        #expect(ServerSession.logLines(replies[0].payload) == ["PROCESS without input: send DATA first"])
        #expect(Array(step.bytes.suffix(13)) == [0x04, 0, 0, 0, 0xC0, 0, 0x7A, 0, 0x01, 0, 0, 0, 0x06])
        #expect(target.calls.isEmpty)
        // The session goes on: the right order works.
        _ = session.feed(Self.ioSpecRequest, handler: target)
        #expect(session.feed(Self.modelRequest, handler: target).bytes == Self.statusReply(0x03, 3))
        target.refuseModel = "the model does not load"
        let refused = try transmissions(session.feed(Self.modelRequest, handler: target).bytes)
        #expect(refused.map(\.type) == [.logs, .model] && refused[1].flags.contains(.fail))
        #expect(ServerSession.logLines(refused[0].payload) == ["the model does not load"])
        // A refused model leaves no model: DATA is refused.
        #expect(try transmissions(session.feed(Self.dataRequest, handler: target).bytes).last?.flags.contains(.fail) == true)
    }

    @Test func garbageAndOversizeEndTheConnectionNotTheServer() throws {
        let target = RecordingTarget()
        // An unknown message type (0x3F): FAIL as STATUS, reason logged, connection closed.
        var a = ServerSession()
        let garbage = a.feed([0x3F, 0, 0, 0, 0, 0, 0x30, 0, 0, 0, 0, 0], handler: target)
        #expect(garbage.close)
        let replies = try transmissions(garbage.bytes)
        #expect(replies.map(\.type) == [.logs, .status] && replies[1].flags.contains(.fail))
        #expect(ServerSession.logLines(replies[0].payload).first?.contains("unknown message type 63") == true)
        #expect(a.feed(Self.statsRequest, handler: target).bytes.isEmpty)    // nothing more is read on that connection
        // A MODEL above the cap is refused as it arrives, before it is all buffered.
        var b = ServerSession(limit: { $0 == .model ? 1000 : .max })
        _ = b.feed(Self.ioSpecRequest, handler: target)
        let big = b.feed(Message.wire(type: .model, flow: .request, flags: [], payload: [UInt8](repeating: 7, count: 3000)), handler: target)
        #expect(big.close)
        #expect(big.log.first?.contains("MODEL transmission exceeds 1000 bytes") == true)
        // A message announcing more than the per-message cap is refused from its header.
        var c = ServerSession(maxMessagePayload: 100)
        #expect(c.feed([0x02, 0, 0, 0, 0, 0, 0x38, 0, 0x00, 0x10, 0, 0], handler: target).close)
        // A transmission (not a request) from the client is refused without closing.
        var d = ServerSession()
        let t = d.feed(Message.wire(type: .ping, flow: .transmission, flags: [], payload: []), handler: target)
        let tReplies = try transmissions(t.bytes)
        #expect(!t.close && tReplies.last?.flags.contains(.fail) == true)
    }

    @Test func sharedSecretChallenge() throws {
        let secret = SharedSecret(Array("correct horse battery staple".utf8))
        let auth = (nonce: { [UInt8](repeating: 0x5A, count: ServerSession.nonceSize) },
                    verify: { (n: [UInt8], a: [UInt8]) in secret.verify(challenge: n, answer: a) })
        let target = RecordingTarget()
        // Before authenticating, any request is refused and the connection closed.
        var early = ServerSession(auth: auth)
        let refused = early.feed(Self.ioSpecRequest, handler: target)
        #expect(refused.close && target.calls.isEmpty)
        #expect(try ServerSession.logLines(transmissions(refused.bytes)[0].payload).first?.contains("authentication required") == true)
        // An empty STATUS asks for the challenge: the tag and a 32-byte nonce, never the secret.
        var s = ServerSession(auth: auth)
        let challenge = try transmissions(s.feed(Message.wire(type: .status, flow: .request, flags: [], payload: []), handler: target).bytes)[0]
        #expect(challenge.payload == ServerSession.challengeTag + [UInt8](repeating: 0x5A, count: 32))
        #expect(!challenge.payload.containsSubsequence(Array("correct horse".utf8)))
        // A wrong answer closes the connection.
        var wrong = s
        let bad = wrong.feed(Message.wire(type: .status, flow: .request, flags: [], payload: SharedSecret(Array("guess guess guess".utf8))
                .answer([UInt8](repeating: 0x5A, count: 32))), handler: target)
        #expect(bad.close && !wrong.authenticated)
        // The right one (HMAC-SHA256 of the nonce) lets requests through.
        let ok = s.feed(Message.wire(type: .status, flow: .request, flags: [], payload: secret.answer([UInt8](repeating: 0x5A, count: 32))), handler: target)
        #expect(!ok.close && s.authenticated)
        #expect(s.feed(Self.ioSpecRequest, handler: target).bytes == Self.statusReply(0x07, 2))
    }

    @Test func uartSessionStartsAndEndsWithPing() {
        var s = ServerSession()
        let target = RecordingTarget()
        // PING with SUCCESS (0x31 = SUCCESS|FIRST|LAST) starts a UART session; PING with FAIL (0x32) ends it.
        #expect(s.feed([0x00, 0, 0, 0, 0, 0, 0x31, 0, 0, 0, 0, 0], handler: target).bytes == Self.statusReply(0x00, 1))
        _ = s.feed(Self.ioSpecRequest, handler: target)
        #expect(s.feed([0x00, 0, 0, 0, 0, 0, 0x32, 0, 0, 0, 0, 0], handler: target).bytes == Self.statusReply(0x00, 1))
        #expect(target.calls == ["io_spec", "ended"])
        // After the end, the model is gone: MODEL needs a new IO_SPEC.
        #expect(s.feed(Self.modelRequest, handler: target).bytes.suffix(13).first == 0x03)
        #expect(!target.calls.contains("model"))
    }

    @Test func busyReplyIsGreetingLogsAndStatusFail() throws {
        let bytes = ServerSession.busyReply("busy: measuring for 10.0.0.1:5000")
        #expect(bytes.first == 0)
        let replies = try transmissions(Array(bytes.dropFirst()))
        #expect(replies.map(\.type) == [.logs, .status])
        #expect(replies[1].flags.contains(.fail) && replies[1].flags.contains(.isKenning))
        #expect(ServerSession.logLines(replies[0].payload) == ["busy: measuring for 10.0.0.1:5000"])
    }

    @Test func longLogLinesAreSplitIntoRecords() throws {
        let line = String(repeating: "x", count: 600) + "é"
        let t = try transmissions(ServerSession.logs([line]))[0]
        #expect(t.payload[0] == 255 && t.payload[256] == 255 && t.payload[512] == 91)
        #expect(ServerSession.logLines(t.payload).joined() == String(repeating: "x", count: 600) + "?")
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<($0 + needle.count)]) == needle }
    }
}
