import Foundation
import KenningCore
import KenningWorkers

/// An optimizer whose work is done by a framework worker: formats, output path and the plain compile come from its support value.
protocol WorkerBackedOptimizer: Optimizer {
    var support: WorkerOptimizerSupport { get }
}

extension WorkerBackedOptimizer {
    public var inputFormats: [ModelFormat] { support.admitted }
    public var outputFormat: ModelFormat { support.output }
    public var compiledModelPath: String { support.compiledModelPath }

    public func compile(_ input: ModelArtifact, context: OptimizationContext) throws(KenningError) -> ModelArtifact {
        try support.compile(input)
    }
}
