import Foundation
import KenningCore
import ZIPFoundation

/// An array from numpy's `.npy` format (version 1–3, C order), its values as Float (exact for integers up to 2^24:
/// token ids, labels, pixels), or the named arrays of an `.npz` archive (stored or deflated, read with ZIPFoundation).
public struct NumpyArray: Sendable, Equatable {
    public var shape: [Int]
    /// numpy's type descriptor, e.g. "<f4", "<i8", "|u1".
    public var dtype: String
    public var values: [Float]

    /// Reads an `.npy` file's bytes; `name` says which array in messages.
    public static func parse(_ bytes: [UInt8], name: String) throws(KenningError) -> NumpyArray {
        func bad(_ why: String) -> KenningError {
            .badInput("\(name) is not a numpy array file: \(why)", fix: "save it with numpy.save or numpy.savez")
        }
        guard bytes.count >= 10, bytes.prefix(6) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] else { throw bad("no \\x93NUMPY magic") }
        let major = bytes[6]
        let (start, length) = major == 1 ? (10, Int(bytes[8]) | Int(bytes[9]) << 8)
            : bytes.count >= 12 ? (12, Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24) : (0, -1)
        guard length >= 0, start + length <= bytes.count else { throw bad("its header runs past the end") }
        let header = String(decoding: bytes[start..<(start + length)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrText = field("descr"), descrText.hasPrefix("'"), let descr = descrText.dropFirst().split(separator: "'").first.map(String.init) else {
            throw bad("no dtype in its header")
        }
        if field("fortran_order")?.hasPrefix("True") == true { throw bad("Fortran-ordered arrays are not supported; save numpy.ascontiguousarray(a)") }
        guard let shapeText = field("shape"), shapeText.hasPrefix("("), let close = shapeText.firstIndex(of: ")") else { throw bad("no shape in its header") }
        let dims = shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = dims.compactMap { Int($0) }
        guard shape.count == dims.count, shape.allSatisfy({ $0 >= 0 }) else { throw bad("shape \(shapeText[...close]) is not a list of sizes") }
        let count = shape.reduce(1, *)
        let body = bytes[(start + length)...]
        guard let width = Self.width(descr) else {
            throw bad("dtype \(descr) is not supported (use float16/32/64, int8/16/32/64, uint8/16 or bool)")
        }
        guard descr.first != ">" || width == 1 else { throw bad("big-endian arrays are not supported; save a.astype(a.dtype.newbyteorder('<'))") }
        guard body.count >= count * width else { throw bad("\(body.count) data bytes, its shape \(shape) of \(descr) needs \(count * width)") }
        let kind = descr.dropFirst().first ?? "f"
        var values = [Float](repeating: 0, count: count)
        body.withUnsafeBytes { raw in
            for i in 0..<count {
                let o = i * width
                switch (kind, width) {
                case ("f", 4): values[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian)
                case ("f", 8): values[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian))
                case ("f", 2): values[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian))
                case ("i", 8): values[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                case ("i", 4): values[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                case ("i", 2): values[i] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int16.self)))
                case ("i", 1): values[i] = Float(raw.load(fromByteOffset: o, as: Int8.self))
                case ("u", 2): values[i] = Float(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
                default: values[i] = Float(raw.load(fromByteOffset: o, as: UInt8.self))   // u1, b1
                }
            }
        }
        return NumpyArray(shape: shape, dtype: descr, values: values)
    }

    static func width(_ descr: String) -> Int? {
        ["<f4": 4, "<f8": 8, "<f2": 2, "<i8": 8, "<i4": 4, "<i2": 2, "|i1": 1, "<u2": 2, "|u1": 1, "|b1": 1,
         ">f4": 4, ">f8": 8, ">i8": 8, ">i4": 4, "=f4": 4][descr]
    }

    /// The arrays of an `.npy` (named by its file name without the extension) or `.npz` file, in the archive's order.
    public static func read(_ path: String) throws(KenningError) -> [(String, NumpyArray)] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .badInput("the array file \(path) does not exist", path: "$.parameters.dataset_root", fix: "give the path of a .npy or .npz file")
        }
        if path.lowercased().hasSuffix(".npy") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .badInput("cannot read \(path)", path: "$.parameters.dataset_root", fix: "check the file's permissions")
            }
            return [(((path as NSString).lastPathComponent as NSString).deletingPathExtension, try parse([UInt8](data), name: path))]
        }
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw .badInput("\(path) is not a .npz (zip) archive: \(error)", path: "$.parameters.dataset_root", fix: "save it with numpy.savez or numpy.savez_compressed")
        }
        var out: [(String, NumpyArray)] = []
        for entry in archive where entry.type == .file && entry.path.hasSuffix(".npy") {
            var bytes: [UInt8] = []
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in bytes.append(contentsOf: chunk) }
            } catch {
                throw .badInput("cannot extract \(entry.path) from \(path): \(error)", path: "$.parameters.dataset_root", fix: "save the archive again")
            }
            out.append((String(entry.path.dropLast(4)), try parse(bytes, name: "\(path):\(entry.path)")))
        }
        guard !out.isEmpty else { throw .badInput("\(path) holds no .npy arrays", path: "$.parameters.dataset_root", fix: "save arrays with numpy.savez") }
        return out
    }
}
