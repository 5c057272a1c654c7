
func littleEndianFloats<Bytes: RandomAccessCollection>(_ b: Bytes) -> [Float] where Bytes.Element == UInt8 {
    let n = b.count / 4
    return [Float](unsafeUninitializedCapacity: n) { buf, count in
        let contiguous: Void? = b.withContiguousStorageIfAvailable { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            for i in 0..<n { buf[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian) }
        }
        if contiguous == nil {
            let bytes = Array(b)
            for i in 0..<n {
                let word = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i * 4 + $1]) << (8 * UInt32($1)) }
                buf[i] = Float(bitPattern: word)
            }
        }
        count = n
    }
}

/// Why protocol-buffers data could not be read.
struct ProtoMalformed: Error { let reason: String }

/// Minimal protocol-buffers wire-format reading, enough for ONNX's ModelProto: over an array's bytes, or over a file
/// mapped in memory (`MappedFile`), where skipping a field leaves its pages unread.
struct ProtoReader<Bytes: RandomAccessCollection> where Bytes.Element == UInt8, Bytes.Index == Int, Bytes.SubSequence == Bytes {
    enum Field {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(Bytes)
        case fixed32(UInt32)
    }

    typealias Malformed = ProtoMalformed

    let data: Bytes
    var pos: Int

    init(_ data: Bytes) {
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
    func int() throws(ProtoMalformed) -> Int64 {
        switch self {
        case let .varint(v): return Int64(bitPattern: v)
        case let .fixed64(v): return Int64(bitPattern: v)
        case let .fixed32(v): return Int64(Int32(bitPattern: v))
        case .bytes: throw ProtoMalformed(reason: "expected a number, found bytes")
        }
    }

    func string() throws(ProtoMalformed) -> String {
        guard case let .bytes(b) = self else { throw ProtoMalformed(reason: "expected a string") }
        return String(decoding: b, as: UTF8.self)
    }

    func bytes() throws(ProtoMalformed) -> Bytes {
        guard case let .bytes(b) = self else { throw ProtoMalformed(reason: "expected a message") }
        return b
    }

    func float() throws(ProtoMalformed) -> Float {
        guard case let .fixed32(v) = self else { throw ProtoMalformed(reason: "expected a float") }
        return Float(bitPattern: v)
    }

    /// Repeated int64 fields come packed (bytes) or one by one (varint).
    func ints() throws(ProtoMalformed) -> [Int64] {
        switch self {
        case let .bytes(b):
            var r = ProtoReader(b)
            var out: [Int64] = []
            while !r.atEnd { out.append(Int64(bitPattern: try r.varint())) }
            return out
        default: return [try int()]
        }
    }

    /// How many values of `width` bytes a repeated fixed-width field holds (packed, or one).
    func fixedWidthCount(_ width: Int) throws(ProtoMalformed) -> Int {
        switch self {
        case let .bytes(b):
            guard b.count % width == 0 else { throw ProtoMalformed(reason: "packed values not a multiple of \(width) bytes") }
            return b.count / width
        case .fixed32 where width == 4, .fixed64 where width == 8: return 1
        default: throw ProtoMalformed(reason: "expected \(width)-byte values")
        }
    }

    func floats() throws(ProtoMalformed) -> [Float] {
        switch self {
        case let .bytes(b):
            guard b.count % 4 == 0 else { throw ProtoMalformed(reason: "packed floats not a multiple of 4 bytes") }
            return littleEndianFloats(b)
        case let .fixed32(v): return [Float(bitPattern: v)]
        default: throw ProtoMalformed(reason: "expected floats")
        }
    }

    func doubles() throws(ProtoMalformed) -> [Double] {
        switch self {
        case let .bytes(b):
            guard b.count % 8 == 0 else { throw ProtoMalformed(reason: "packed doubles not a multiple of 8 bytes") }
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
        default: throw ProtoMalformed(reason: "expected doubles")
        }
    }
}
