/// What a search asks of one isolated run (a child process): compile one optimizer step or measure one pipeline.
///
/// The parent writes it as JSON and starts `kenning run-request FILE`; the child decodes it and calls
/// `ChildRun.execute`, which answers with a `RunResult` at `resultPath`. The parent enforces the time limit; the child
/// sets the memory limit on itself before it does any work.
public struct RunRequest: Codable, Sendable, Equatable {
    /// What the child run does.
    public enum Action: String, Codable, Sendable {
        /// Run the scenario's optimizers only (one step of a cached chain).
        case optimize
        /// Measure the scenario's runtime on its model.
        case test
    }

    public var action: Action
    /// The scenario of this run (JSON).
    public var scenarioPath: String
    /// Where the measurements go (`test`).
    public var measurementsPath: String?
    /// An earlier step's artifact to start from instead of the model wrapper's model (`optimize`).
    public var inputModel: String?
    /// That artifact's format, when it is not the wrapper's.
    public var inputFormat: String?
    /// Kenning's log level.
    public var verbosity: String
    /// Where the child writes its `RunResult`.
    public var resultPath: String
    /// The child's address-space limit in bytes (`--memory-limit`), nil for none.
    public var memoryLimitBytes: Int?
    /// The unoptimized model's outputs (JSON rows) the run records its fidelity to (`test`), when the search has them.
    public var referenceOutputsPath: String?

    public init(action: Action, scenarioPath: String, measurementsPath: String? = nil, inputModel: String? = nil, inputFormat: String? = nil,
                verbosity: String, resultPath: String, memoryLimitBytes: Int? = nil) {
        self.action = action
        self.scenarioPath = scenarioPath
        self.measurementsPath = measurementsPath
        self.inputModel = inputModel
        self.inputFormat = inputFormat
        self.verbosity = verbosity
        self.resultPath = resultPath
        self.memoryLimitBytes = memoryLimitBytes
    }
}
