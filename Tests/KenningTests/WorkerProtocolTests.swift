import Foundation
import KenningWorkers
import Testing

/// The wire format of Kenning's runtime protocol, pinned with hand-computed golden bytes.
@Suite struct KenningProtocolFraming {
    @Test func headerGoldenBytes() throws {
        // DATA request from the host, one message carrying 3 bytes: type 2, flow REQUEST, flags HOST|PAYLOAD|FIRST|LAST = 0x3C.
        let h = MessageHeader(type: .data, flow: .request, flags: [.isHostMessage, .hasPayload, .first, .last], payloadSize: 3)
        #expect(h.bytes == [0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x03, 0x00, 0x00, 0x00])
        #expect(try MessageHeader(decoding: h.bytes) == h)
        // STATS transmission (flow 3 sits in bits 38–39, the top bits of byte 4), SUCCESS|PAYLOAD|FIRST|LAST|KENNING = 0x79, 300 bytes.
        let s = MessageHeader(type: .stats, flow: .transmission, flags: [.success, .isKenning, .first, .last, .hasPayload], payloadSize: 300)
        #expect(s.bytes == [0x06, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x79, 0x00, 0x2C, 0x01, 0x00, 0x00])
        #expect(try MessageHeader(decoding: s.bytes) == s)
        // The widest type field still round-trips: UNOPTIMIZED_MODEL (12) with ACKNOWLEDGE (2) → byte 4 = 0x80.
        let u = MessageHeader(type: .unoptimizedModel, flow: .acknowledge, flags: [.fail, .isKenning], payloadSize: 0)
        #expect(u.bytes == [0x0C, 0x00, 0x00, 0x00, 0x80, 0x00, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00])
    }

    @Test func checksumOnlyWithErrorRecovery() {
        let plain = Message.split(type: .ping, flow: .request, flags: [.isHostMessage], payload: [])
        #expect(plain.count == 1)
        #expect(plain[0].bytes == [0, 0, 0, 0, 0, 0x00, 0x34, 0, 0, 0, 0, 0])
        let checked = Message.split(type: .ping, flow: .request, flags: [.isHostMessage], payload: [], errorRecovery: true)
        // 0x4B xor 0x34 (the only other non-zero byte) = 0x7F; the whole message then xors to 0x4B.
        #expect(checked[0].bytes == [0, 0, 0, 0, 0, 0x7F, 0x34, 0, 0, 0, 0, 0])
        #expect(checked[0].checksumValid)
        let data = Message.split(type: .data, flow: .request, flags: [], payload: [1, 2, 3], errorRecovery: true)[0]
        #expect(data.header.checksum == 0x4B ^ 0x02 ^ 0x38 ^ 0x03 ^ 1 ^ 2 ^ 3)
    }

    @Test func chunkingIntoFirstToLast() throws {
        let payload = (0..<2500).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let messages = Message.split(type: .model, flow: .request, flags: [.isHostMessage], payload: payload)
        #expect(messages.map(\.header.payloadSize) == [1012, 1012, 476])
        #expect(messages.allSatisfy { $0.bytes.count <= KenningProtocol.maxMessageSize })
        #expect(messages[0].header.flags.contains(.first) && !messages[0].header.flags.contains(.last))
        #expect(!messages[1].header.flags.contains(.first) && !messages[1].header.flags.contains(.last))
        #expect(messages[2].header.flags.contains(.last) && !messages[2].header.flags.contains(.first))
        #expect(messages.allSatisfy { $0.header.flags.contains(.hasPayload) })
        var r = Reassembler()
        #expect(try r.add(messages[0]) == nil)
        #expect(try r.add(messages[1]) == nil)
        let t = try #require(try r.add(messages[2]))
        #expect(t.payload == payload && t.type == .model && t.flow == .request)
        // Exactly one message's worth: a single FIRST|LAST message.
        let one = Message.split(type: .output, flow: .transmission, flags: [.success], payload: [UInt8](repeating: 9, count: 1012))
        #expect(one.count == 1 && one[0].header.flags.isSuperset(of: [.first, .last]) && one[0].bytes.count == 1024)
        // Smaller messages when asked.
        #expect(Message.split(type: .data, flow: .request, flags: [], payload: payload, maxMessageSize: 112).count == 25)
    }

    @Test func malformedInputIsRejected() {
        #expect(throws: ProtocolError.shortHeader(5)) { try MessageHeader(decoding: [0, 0, 0, 0, 0]) }
        #expect(throws: ProtocolError.unknownMessageType(0x3F)) { try MessageHeader(decoding: [0x3F, 0, 0, 0, 0, 0, 0x30, 0, 0, 0, 0, 0]) }
        #expect(throws: ProtocolError.payloadWithoutFlag(4)) { try MessageHeader(decoding: [0x02, 0, 0, 0, 0, 0, 0x30, 0, 4, 0, 0, 0]) }
        #expect(throws: ProtocolError.payloadTooLarge(0x100000, limit: (1 << 20) - 12)) {
            try MessageHeader(decoding: [0x02, 0, 0, 0, 0, 0, 0x38, 0, 0, 0, 0x10, 0])
        }
        #expect(throws: ProtocolError.payloadTooLarge(0x10000, limit: 100)) {
            try MessageHeader(decoding: [0x02, 0, 0, 0, 0, 0, 0x38, 0, 0, 0, 1, 0], maxPayload: 100)
        }
        let parts = Message.split(type: .model, flow: .request, flags: [], payload: [UInt8](repeating: 1, count: 3000))
        var r = Reassembler()
        #expect(throws: ProtocolError.notFirst(.model)) { try r.add(parts[1]) }
        var r2 = Reassembler()
        _ = try? r2.add(parts[0])
        let intruder = Message.split(type: .data, flow: .request, flags: [], payload: [1])[0]
        #expect(throws: ProtocolError.typeChanged(from: .model, to: .data)) { try r2.add(intruder) }
    }

    @Test func serverActionCodes() {
        #expect(ServerAction.allCases.map(\.rawValue) == Array(0...12))
        #expect(ServerAction.expected(for: .ioSpec) == .uploadingIOSpec && ServerAction.expected(for: .process) == .processingInput)
        #expect(ServerAction.expected(for: .optimizeModel).rawValue == 9 && ServerAction.expected(for: .optimizers).rawValue == 10)
        #expect(MessageType.allCases.map(\.rawValue) == Array(0...13))
    }

    /// The worker's Python codec produces the same bytes (it needs only the standard library).
    @Test func pythonCodecAgrees() throws {
        let script = """
        from kenning_worker.protocol import *
        msgs = split(MessageType.MODEL, FlowControl.TRANSMISSION, Flag.IS_KENNING | Flag.SUCCESS, bytes(range(256)) * 9, error_recovery=True)
        print(b"".join(msgs).hex())
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        p.environment = ["PYTHONPATH": repo("workers/python"), "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        p.waitUntilExit()
        let payload = [UInt8]((0..<9).flatMap { _ in (0..<256).map { UInt8($0) } })
        let swift = Message.split(type: .model, flow: .transmission, flags: [.isKenning, .success], payload: payload, errorRecovery: true)
        #expect(text == swift.flatMap(\.bytes).map { String(format: "%02x", $0) }.joined())
    }
}

/// The one-pass framing equals the message-by-message one, for Kenning's size and for the large messages our own workers take.
@Suite struct KenningProtocolWire {
    @Test(arguments: [KenningProtocol.maxMessageSize, KenningProtocol.workerMessageSize, 112])
    func wireEqualsSplit(_ size: Int) {
        for count in [0, 1, 1012, 1013, 70_000] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let split = Message.split(type: .data, flow: .request, flags: [.isHostMessage], payload: payload, maxMessageSize: size).flatMap(\.bytes)
            #expect(Message.wire(type: .data, flow: .request, flags: [.isHostMessage], payload: payload, maxMessageSize: size) == split)
        }
    }
}
