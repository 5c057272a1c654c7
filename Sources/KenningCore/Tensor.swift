
/// A dense tensor value. Floating-point data is held as `Float`; integer data as `Int64`.
/// float16 initializers keep their raw bits until a Cast turns them into float32.
public struct Tensor: Sendable, Equatable {
    /// The elements, in their own type.
    public enum Storage: Sendable, Equatable {
        case float([Float])
        case int64([Int64])
        case float16([UInt16])
        /// Quantized values (ONNX INT8), e.g. QuantizeLinear outputs and QDQ weights.
        case int8([Int8])
        /// ONNX INT32 values (QDQ biases); other integer types are held as `int64`.
        case int32([Int32])
    }

    public var shape: [Int]
    public var storage: Storage

    public init(shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "shape \(shape) does not hold \(floats.count) values")
        self.shape = shape
        self.storage = .float(floats)
    }

    public init(shape: [Int], ints: [Int64]) {
        precondition(shape.reduce(1, *) == ints.count, "shape \(shape) does not hold \(ints.count) values")
        self.shape = shape
        self.storage = .int64(ints)
    }

    public init(shape: [Int], float16Bits: [UInt16]) {
        self.shape = shape
        self.storage = .float16(float16Bits)
    }

    public init(shape: [Int], int8s: [Int8]) {
        precondition(shape.reduce(1, *) == int8s.count, "shape \(shape) does not hold \(int8s.count) values")
        self.shape = shape
        self.storage = .int8(int8s)
    }

    public init(shape: [Int], int32s: [Int32]) {
        precondition(shape.reduce(1, *) == int32s.count, "shape \(shape) does not hold \(int32s.count) values")
        self.shape = shape
        self.storage = .int32(int32s)
    }

    public var count: Int { shape.reduce(1, *) }

    public var elementType: ElementType {
        switch storage {
        case .float: return .float32
        case .int64: return .int64
        case .float16: return .float16
        case .int8: return .int8
        case .int32: return .int32
        }
    }

    /// The values as floats (converting integers and half floats).
    public var floats: [Float] {
        switch storage {
        case let .float(f): return f
        case let .int64(i): return i.map { Float($0) }
        case let .float16(h): return h.map { Float(halfBits: $0) }
        case let .int8(i): return i.map { Float($0) }
        case let .int32(i): return i.map { Float($0) }
        }
    }

    /// The values as integers (truncating floats).
    public var ints: [Int64] {
        switch storage {
        case let .float(f): return f.map { Int64($0) }
        case let .int64(i): return i
        case let .float16(h): return h.map { Int64(Float(halfBits: $0)) }
        case let .int8(i): return i.map { Int64($0) }
        case let .int32(i): return i.map { Int64($0) }
        }
    }

    public var byteCount: Int {
        switch storage {
        case let .float(f): return f.count * 4
        case let .int64(i): return i.count * 8
        case let .float16(h): return h.count * 2
        case let .int8(i): return i.count
        case let .int32(i): return i.count * 4
        }
    }
}

extension Float {
    /// Decodes IEEE 754 binary16 bits.
    public init(halfBits h: UInt16) {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let frac = UInt32(h & 0x3FF)
        var bits: UInt32
        if exp == 0 {
            if frac == 0 {
                bits = sign
            } else {
                var e = -1
                var f = frac
                repeat { f <<= 1; e += 1 } while f & 0x400 == 0
                bits = sign | UInt32(127 - 15 - e) << 23 | (f & 0x3FF) << 13
            }
        } else if exp == 31 {
            bits = sign | 0x7F80_0000 | frac << 13
        } else {
            bits = sign | UInt32(exp - 15 + 127) << 23 | frac << 13
        }
        self = Float(bitPattern: bits)
    }

    /// Encodes to IEEE 754 binary16 bits, rounding to nearest even.
    public var halfBits: UInt16 {
        let bits = bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exp = Int((bits >> 23) & 0xFF)
        var mant = bits & 0x7F_FFFF
        if exp == 255 { return sign | 0x7C00 | (mant != 0 ? 0x200 : 0) }
        var e = exp - 127 + 15
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            if e < -10 { return sign }
            mant |= 0x80_0000
            let shift = UInt32(14 - e)
            var half = mant >> shift
            let rem = mant & ((1 << shift) - 1)
            let midpoint: UInt32 = 1 << (shift - 1)
            if rem > midpoint || (rem == midpoint && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e) << 10 | (mant >> 13)
        let rem = mant & 0x1FFF
        if rem > 0x1000 || (rem == 0x1000 && half & 1 == 1) { half += 1 }
        e = Int(half >> 10)
        return sign | UInt16(half & 0xFFFF)
    }
}
