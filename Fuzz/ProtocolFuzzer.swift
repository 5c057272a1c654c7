/// libFuzzer entry point for the server side of Kenning's runtime protocol: the bytes are what a client sends, fed
/// in pieces of the sizes the first byte picks to a server session that asks a secret and caps requests, with a target
/// that accepts everything. Refusals are expected; a crash, trap or sanitizer report is a finding.
final class FuzzTarget: TargetHandler {
    func ioSpec(_ payload: [UInt8], serialized: Bool) throws(TargetRefusal) { if payload.first == 0 { throw TargetRefusal("no") } }
    func model(_ payload: [UInt8]) throws(TargetRefusal) { if payload.count == 1 { throw TargetRefusal("no") } }
    func data(_ payload: [UInt8]) throws(TargetRefusal) {}
    func process() throws(TargetRefusal) {}
    func output() throws(TargetRefusal) -> [UInt8] { [1, 2, 3] }
    func stats() throws(TargetRefusal) -> [UInt8] { Array("{}".utf8) }
    func optimizers(_ payload: [UInt8]) throws(TargetRefusal) {}
    func unoptimizedModel(_ payload: [UInt8]) throws(TargetRefusal) {}
    func optimizeModel() throws(TargetRefusal) -> [UInt8] { [7] }
    func sessionEnded() {}
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtocol(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let target = FuzzTarget()
    // Half the inputs go to a session that asks a secret (the answer is the nonce reversed).
    let auth: (nonce: () -> [UInt8], verify: ([UInt8], [UInt8]) -> Bool)? = first & 1 == 1
        ? (nonce: { (0..<32).map { UInt8($0) } }, verify: { n, a in a == n.reversed() }) : nil
    var session = ServerSession(maxMessageSize: 64, maxMessagePayload: 4096, limit: { $0 == .model ? 2048 : 512 }, auth: auth)
    let piece = Int(first >> 1) + 1
    var i = 1
    while i < bytes.count {
        let step = session.feed(Array(bytes[i..<min(i + piece, bytes.count)]), handler: target)
        // Every reply the server writes must itself decode.
        var check = RequestDecoder()
        for event in check.feed(step.bytes) { if case .violation = event { fatalError("the server wrote a malformed reply") } }
        if step.close { break }
        i += piece
    }
    return 0
}
