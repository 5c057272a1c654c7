/// Kenning's parameters for features this build does not have: accepted at their defaults, refused otherwise.
extension ResolvedParameters {
    /// Throws, naming the first parameter of `specs` that is set to anything but its default, with `why`.
    public func requireDefaults(_ specs: [ParameterSpec], block: String, why: String) throws(KenningError) {
        for spec in specs where self[spec.name] != nil && self[spec.name] != spec.defaultValue {
            throw .badInput("\(block): \(spec.name) is not available here (\(why))", path: "$.parameters.\(spec.name)",
                            fix: "leave \(spec.name) out, or set it to \(spec.defaultValue?.serialized(indent: nil) ?? "null")")
        }
    }
}
