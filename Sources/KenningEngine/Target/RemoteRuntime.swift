import Foundation
import KenningBlocks
import KenningCore

/// The scenario's runtime, run on a target: models are uploaded over the scenario's protocol and measured there.
/// Formats and framework are the runtime block's; whether the target can run a model is the target's to say (it
/// answers MODEL with the reason).
struct RemoteRuntime: Runtime {
    let local: any Runtime
    /// The runtime block as the target builds it (sent in the IO specification).
    let block: JSONValue
    let proto: any TargetProtocol

    var inputFormats: [ModelFormat] { local.inputFormats }
    var saveModelPath: String? { local.saveModelPath }
    var framework: FrameworkInfo { local.framework }

    func incompatibility(with model: ModelArtifact) -> String? { nil }

    func load(_ artifact: ModelArtifact) throws(KenningError) -> any InferenceSession {
        try RemoteInferenceSession(artifact: artifact, runtime: block, proto: proto)
    }
}
