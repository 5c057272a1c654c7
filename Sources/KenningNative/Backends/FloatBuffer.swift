import COpenBLAS
import KenningCore

/// A buffer of floats at a stable address, freed with its owner.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int) {
        self.count = max(count, 1)
        pointer = .allocate(capacity: self.count)
    }

    init(_ values: [Float]) {
        count = max(values.count, 1)
        pointer = .allocate(capacity: count)
        values.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }
}
