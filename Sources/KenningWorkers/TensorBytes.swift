import Foundation
import KenningCore

/// Raw tensor bytes as the protocol carries them (concatenated, little-endian, in IO-spec order and dtype).
public enum TensorBytes {
    public static func encode(_ tensors: [Tensor], specs: [TensorSpec]) throws(KenningError) -> [UInt8] {
        var out: [UInt8] = []
        try encode(tensors, specs: specs, into: &out)
        return out
    }

    /// Appends the tensors' bytes to `out`.
    public static func encode(_ tensors: [Tensor], specs: [TensorSpec], into out: inout [UInt8]) throws(KenningError) {
        for (i, t) in tensors.enumerated() {
            let type = i < specs.count ? specs[i].elementType : t.elementType
            switch type {
            case .float32:
                #if _endian(little)
                t.floats.withUnsafeBytes { out.append(contentsOf: $0) }
                #else
                t.floats.forEach { append(&out, $0.bitPattern) }
                #endif
            case .float64: t.floats.forEach { append(&out, Double($0).bitPattern) }
            case .float16: t.floats.forEach { append(&out, $0.halfBits) }
            case .int64: t.ints.forEach { append(&out, UInt64(bitPattern: $0)) }
            case .int32: t.ints.forEach { append(&out, UInt32(bitPattern: Int32(truncatingIfNeeded: $0))) }
            case .int8: t.ints.forEach { out.append(UInt8(bitPattern: Int8(truncatingIfNeeded: $0))) }
            case .uint8: t.ints.forEach { out.append(UInt8(truncatingIfNeeded: $0)) }
            default: throw .failure("inputs of type \(type) cannot be sent to a worker")
            }
        }
    }

    /// The bytes `tensors` take in the IO spec's element types.
    static func encodedSize(_ tensors: [Tensor], specs: [TensorSpec]) -> Int {
        tensors.enumerated().reduce(0) { $0 + $1.element.count * size($1.offset < specs.count ? specs[$1.offset].elementType : $1.element.elementType) }
    }

    /// Writes the tensors' bytes at `base` (room for ``encodedSize(_:specs:)`` bytes); returns how many it wrote.
    static func encode(_ tensors: [Tensor], specs: [TensorSpec], to base: UnsafeMutableRawPointer) throws(KenningError) -> Int {
        var offset = 0
        for (i, t) in tensors.enumerated() {
            let type = i < specs.count ? specs[i].elementType : t.elementType
            #if _endian(little)
            if type == .float32 {
                t.floats.withUnsafeBytes { base.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                offset += t.count * 4
                continue
            }
            #endif
            let bytes = try encode([t], specs: [TensorSpec(name: "", shape: t.shape, elementType: type)])
            bytes.withUnsafeBytes { base.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            offset += bytes.count
        }
        return offset
    }

    /// The bytes the outputs of `shapes` take in the IO spec's element types.
    static func byteCount(specs: [TensorSpec], shapes: [[Int]]) throws(KenningError) -> Int {
        guard shapes.count == specs.count, shapes.allSatisfy({ $0.allSatisfy { $0 >= 0 } }) else {
            throw .failure("the worker reported output shapes \(shapes) for \(specs.count) declared outputs")
        }
        return zip(specs, shapes).reduce(0) { $0 + size($1.0.elementType) * $1.1.reduce(1, *) }
    }

    static func append<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Bytes per element of `t` on the wire.
    public static func size(_ t: ElementType) -> Int {
        switch t {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .int16, .uint16: return 2
        default: return 1
        }
    }

    /// Splits an OUTPUT payload per output spec. `shapes` are the tensors' real shapes when the worker reported them
    /// (STATS `output_shapes`); otherwise a leading unknown dimension is `batch` and one remaining unknown in the last
    /// output is solved from the payload size. Any other mismatch is an error naming the output, its declared shape and
    /// what arrived.
    public static func decode(_ bytes: [UInt8], specs: [TensorSpec], batch: Int, shapes: [[Int]]? = nil) throws(KenningError) -> [Tensor] {
        var out: [Tensor] = []
        var offset = 0
        if let shapes, shapes.count != specs.count {
            throw .failure("the worker reported \(shapes.count) output shapes for \(specs.count) declared outputs")
        }
        for (i, spec) in specs.enumerated() {
            let width = size(spec.elementType)
            var shape: [Int]
            if let reported = shapes?[i] {
                guard reported.count == spec.shape.count || spec.shape.isEmpty,
                      zip(reported, spec.shape).allSatisfy({ $1 < 0 || $0 == $1 }), reported.allSatisfy({ $0 >= 0 }) else {
                    throw .failure("output \(spec.name) declared as \(spec.shape) came back with shape \(reported)",
                                   fix: "check the model's output shapes in its IO specification")
                }
                shape = reported
            } else {
                shape = spec.shape.isEmpty ? [] : [spec.shape[0] < 0 ? batch : spec.shape[0]] + spec.shape.dropFirst()
                let unknown = shape.indices.filter { shape[$0] < 0 }
                if let u = unknown.first {
                    guard unknown.count == 1, i == specs.count - 1 else {
                        throw .failure("output \(spec.name) \(spec.shape) has \(unknown.count) unknown dimension(s) and the worker did not report its shape",
                                       fix: "give the output a fixed shape in the model, or use a worker that reports output_shapes")
                    }
                    let known = shape.filter { $0 > 0 }.reduce(1, *)
                    shape[u] = (bytes.count - offset) / width / max(known, 1)
                }
            }
            let count = shape.reduce(1, *)
            guard count >= 0, offset + count * width <= bytes.count else {
                throw .failure("the worker returned \(bytes.count) output bytes; output \(spec.name) \(shape) of \(spec.elementType) needs \(offset + count * width)")
            }
            let slice = Array(bytes[offset..<(offset + count * width)])
            offset += count * width
            out.append(slice.withUnsafeBytes { raw -> Tensor in
                func load<T: FixedWidthInteger>(_: T.Type, _ k: Int) -> T { T(littleEndian: raw.loadUnaligned(fromByteOffset: k * MemoryLayout<T>.size, as: T.self)) }
                switch spec.elementType {
                case .float32: return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
                case .float64: return Tensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) })
                case .float16: return Tensor(shape: shape, floats: (0..<count).map { Float(halfBits: load(UInt16.self, $0)) })
                case .int64: return Tensor(shape: shape, ints: (0..<count).map { Int64(bitPattern: load(UInt64.self, $0)) })
                case .int32: return Tensor(shape: shape, ints: (0..<count).map { Int64(Int32(bitPattern: load(UInt32.self, $0))) })
                case .int8: return Tensor(shape: shape, ints: (0..<count).map { Int64(Int8(bitPattern: raw[$0])) })
                default: return Tensor(shape: shape, ints: (0..<count).map { Int64(raw[$0]) })
                }
            })
        }
        guard offset == bytes.count else { throw .failure("the worker returned \(bytes.count - offset) unexpected extra output bytes") }
        return out
    }
}
