
func littleEndianFloats(_ b: ArraySlice<UInt8>) -> [Float] {
    let n = b.count / 4
    return [Float](unsafeUninitializedCapacity: n) { buf, count in
        b.withUnsafeBytes { raw in
            for i in 0..<n { buf[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian) }
        }
        count = n
    }
}

/// Minimal protocol-buffers wire-format reading and writing, enough for ONNX's ModelProto.
struct ProtoReader {
    enum Field {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    struct Malformed: Error { let reason: String }

    let data: ArraySlice<UInt8>
    var pos: Int

    init(_ data: ArraySlice<UInt8>) {
        self.data = data
        self.pos = data.startIndex
    }

    var atEnd: Bool { pos >= data.endIndex }

    mutating func varint() throws(Malformed) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < data.endIndex else { throw Malformed(reason: "truncated varint") }
            let b = data[pos]
            pos += 1
            if shift < 64 { result |= UInt64(b & 0x7F) << shift }
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 70 { throw Malformed(reason: "varint too long") }
        }
    }

    mutating func next() throws(Malformed) -> (Int, Field)? {
        guard !atEnd else { return nil }
        let key = try varint()
        let number = Int(key >> 3)
        guard number > 0 else { throw Malformed(reason: "field number 0") }
        switch key & 7 {
        case 0: return (number, .varint(try varint()))
        case 1:
            guard pos + 8 <= data.endIndex else { throw Malformed(reason: "truncated 64-bit field") }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(data[pos + k]) << (8 * UInt64(k)) }
            pos += 8
            return (number, .fixed64(v))
        case 2:
            let len = try varint()
            guard len <= UInt64(data.endIndex - pos) else { throw Malformed(reason: "length \(len) runs past the end of the data") }
            let slice = data[pos..<pos + Int(len)]
            pos += Int(len)
            return (number, .bytes(slice))
        case 5:
            guard pos + 4 <= data.endIndex else { throw Malformed(reason: "truncated 32-bit field") }
            var v: UInt32 = 0
            for k in 0..<4 { v |= UInt32(data[pos + k]) << (8 * UInt32(k)) }
            pos += 4
            return (number, .fixed32(v))
        default:
            throw Malformed(reason: "unsupported wire type \(key & 7)")
        }
    }
}

extension ProtoReader.Field {
    func int() throws(ProtoReader.Malformed) -> Int64 {
        switch self {
        case let .varint(v): return Int64(bitPattern: v)
        case let .fixed64(v): return Int64(bitPattern: v)
        case let .fixed32(v): return Int64(Int32(bitPattern: v))
        case .bytes: throw ProtoReader.Malformed(reason: "expected a number, found bytes")
        }
    }

    func string() throws(ProtoReader.Malformed) -> String {
        guard case let .bytes(b) = self else { throw ProtoReader.Malformed(reason: "expected a string") }
        return String(decoding: b, as: UTF8.self)
    }

    func bytes() throws(ProtoReader.Malformed) -> ArraySlice<UInt8> {
        guard case let .bytes(b) = self else { throw ProtoReader.Malformed(reason: "expected a message") }
        return b
    }

    func float() throws(ProtoReader.Malformed) -> Float {
        guard case let .fixed32(v) = self else { throw ProtoReader.Malformed(reason: "expected a float") }
        return Float(bitPattern: v)
    }

    /// Repeated int64 fields come packed (bytes) or one by one (varint).
    func ints() throws(ProtoReader.Malformed) -> [Int64] {
        switch self {
        case let .bytes(b):
            var r = ProtoReader(b)
            var out: [Int64] = []
            while !r.atEnd { out.append(Int64(bitPattern: try r.varint())) }
            return out
        default: return [try int()]
        }
    }

    func floats() throws(ProtoReader.Malformed) -> [Float] {
        switch self {
        case let .bytes(b):
            guard b.count % 4 == 0 else { throw ProtoReader.Malformed(reason: "packed floats not a multiple of 4 bytes") }
            return littleEndianFloats(b)
        case let .fixed32(v): return [Float(bitPattern: v)]
        default: throw ProtoReader.Malformed(reason: "expected floats")
        }
    }

    func doubles() throws(ProtoReader.Malformed) -> [Double] {
        switch self {
        case let .bytes(b):
            guard b.count % 8 == 0 else { throw ProtoReader.Malformed(reason: "packed doubles not a multiple of 8 bytes") }
            var out: [Double] = []
            out.reserveCapacity(b.count / 8)
            var i = b.startIndex
            while i < b.endIndex {
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
                out.append(Double(bitPattern: v))
                i += 8
            }
            return out
        case let .fixed64(v): return [Double(bitPattern: v)]
        default: throw ProtoReader.Malformed(reason: "expected doubles")
        }
    }
}
