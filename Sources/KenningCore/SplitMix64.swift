/// SplitMix64: small, fast and identical in Swift and in the training script (scripts/digits_split.py).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= Self.gamma
        return Self.mix(state)
    }

    /// The `i`-th value (from 0) the generator seeded with `seed` returns, without the ones before it: the state only
    /// advances by a constant, so a loop over `i` has no dependency between iterations and vectorizes.
    @inline(__always)
    public static func value(seed: UInt64, at i: Int) -> UInt64 {
        mix(seed &+ UInt64(truncatingIfNeeded: i + 1) &* gamma)
    }

    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inline(__always)
    static func mix(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
