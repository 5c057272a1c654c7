
/// Appends protocol-buffers fields to a byte buffer.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wire: UInt64) { varint(UInt64(field) << 3 | wire) }

    mutating func int(_ field: Int, _ v: Int64) {
        tag(field, 0)
        varint(UInt64(bitPattern: v))
    }

    mutating func float(_ field: Int, _ v: Float) {
        tag(field, 5)
        let b = v.bitPattern
        for k in 0..<4 { bytes.append(UInt8((b >> (8 * UInt32(k))) & 0xFF)) }
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        tag(field, 2)
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }

    mutating func packedInts(_ field: Int, _ values: [Int64]) {
        var inner = ProtoWriter()
        for v in values { inner.varint(UInt64(bitPattern: v)) }
        bytes(field, inner.bytes)
    }

    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 4)
        for v in values {
            let b = v.bitPattern
            raw.append(UInt8(b & 0xFF)); raw.append(UInt8((b >> 8) & 0xFF))
            raw.append(UInt8((b >> 16) & 0xFF)); raw.append(UInt8(b >> 24))
        }
        bytes(field, raw)
    }
}
