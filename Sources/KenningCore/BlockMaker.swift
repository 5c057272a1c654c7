
/// How to build a block of each kind from validated parameters.
public enum BlockMaker: Sendable {
    case dataset(@Sendable (ResolvedParameters) throws(KenningError) -> any Dataset)
    case modelWrapper(@Sendable (ResolvedParameters) throws(KenningError) -> any ModelWrapper)
    case optimizer(@Sendable (ResolvedParameters) throws(KenningError) -> any Optimizer)
    case runtime(@Sendable (ResolvedParameters) throws(KenningError) -> any Runtime)
    case `protocol`(@Sendable (ResolvedParameters) throws(KenningError) -> any TargetProtocol)
    case platform(@Sendable (ResolvedParameters) throws(KenningError) -> any Platform)
}
