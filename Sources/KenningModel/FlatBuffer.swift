import KenningCore

/// Read-only access to a FlatBuffers buffer (the TFLite file format): tables, scalars, vectors and strings, every
/// offset checked against the buffer, so a truncated or hostile file is an error, never a crash.
struct FlatBuffer {
    struct Malformed: Error { let reason: String }

    let bytes: [UInt8]

    /// A table: its position and its vtable's position.
    struct Table {
        let position: Int
        let vtable: Int
        let vtableSize: Int
    }

    func load<T: FixedWidthInteger>(_: T.Type, at position: Int) throws -> T {
        guard position >= 0, position <= bytes.count - MemoryLayout<T>.size else {
            throw Malformed(reason: "offset \(position) is outside the \(bytes.count)-byte file")
        }
        var value: T = 0
        for k in 0..<MemoryLayout<T>.size { value |= T(truncatingIfNeeded: bytes[position + k]) << (8 * k) }
        return value
    }

    /// The root table (the first four bytes point to it).
    func root() throws -> Table { try table(at: Int(try load(UInt32.self, at: 0))) }

    func table(at position: Int) throws -> Table {
        let vtable = position - Int(try load(Int32.self, at: position))
        let size = Int(try load(UInt16.self, at: vtable))
        guard size >= 4, vtable + size <= bytes.count else { throw Malformed(reason: "bad vtable at \(vtable)") }
        return Table(position: position, vtable: vtable, vtableSize: size)
    }

    /// Where field `slot` of `table` is stored, or nil when it is absent (its default applies).
    func field(_ table: Table, _ slot: Int) throws -> Int? {
        let entry = 4 + 2 * slot
        guard entry + 2 <= table.vtableSize else { return nil }
        let offset = Int(try load(UInt16.self, at: table.vtable + entry))
        return offset == 0 ? nil : table.position + offset
    }

    func scalar<T: FixedWidthInteger>(_ table: Table, _ slot: Int, default value: T) throws -> T {
        guard let p = try field(table, slot) else { return value }
        return try load(T.self, at: p)
    }

    func float(_ table: Table, _ slot: Int, default value: Float) throws -> Float {
        guard let p = try field(table, slot) else { return value }
        return Float(bitPattern: try load(UInt32.self, at: p))
    }

    /// The position following an offset field (tables, vectors and strings are stored by a forward offset).
    private func indirect(_ p: Int) throws -> Int { p + Int(try load(UInt32.self, at: p)) }

    func subtable(_ table: Table, _ slot: Int) throws -> Table? {
        guard let p = try field(table, slot) else { return nil }
        return try self.table(at: try indirect(p))
    }

    /// Element count and first element's position of the vector in field `slot`.
    func vector(_ table: Table, _ slot: Int, elementSize: Int) throws -> (count: Int, start: Int)? {
        guard let p = try field(table, slot) else { return nil }
        let v = try indirect(p)
        let count = Int(try load(UInt32.self, at: v))
        guard count <= (bytes.count - v - 4) / max(elementSize, 1) else { throw Malformed(reason: "vector of \(count) elements at \(v) overruns the file") }
        return (count, v + 4)
    }

    func int32s(_ table: Table, _ slot: Int) throws -> [Int]? {
        guard let (count, start) = try vector(table, slot, elementSize: 4) else { return nil }
        return try (0..<count).map { Int(try load(Int32.self, at: start + 4 * $0)) }
    }

    func tables(_ table: Table, _ slot: Int) throws -> [Table] {
        guard let (count, start) = try vector(table, slot, elementSize: 4) else { return [] }
        return try (0..<count).map { try self.table(at: try indirect(start + 4 * $0)) }
    }

    func byteRange(_ table: Table, _ slot: Int) throws -> Range<Int>? {
        guard let (count, start) = try vector(table, slot, elementSize: 1) else { return nil }
        return start..<(start + count)
    }

    func string(_ table: Table, _ slot: Int) throws -> String? {
        guard let range = try byteRange(table, slot) else { return nil }
        return String(decoding: bytes[range], as: UTF8.self)
    }
}
