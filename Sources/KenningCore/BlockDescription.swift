
/// Everything a user can learn about a block without running it.
public struct BlockDescription: Sendable {
    public let kind: BlockKind
    public let name: String
    /// Kenning's dotted module path for this block, when Kenning has a block of that name.
    public let kenningModule: String?
    public let summary: String
    public let parameters: [ParameterSpec]
    public let inputFormats: [ModelFormat]
    public let outputFormats: [ModelFormat]

    public init(kind: BlockKind, name: String, kenningModule: String? = nil, summary: String, parameters: [ParameterSpec],
                inputFormats: [ModelFormat] = [], outputFormats: [ModelFormat] = [])
    {
        self.kind = kind
        self.name = name
        self.kenningModule = kenningModule
        self.summary = summary
        self.parameters = parameters
        self.inputFormats = inputFormats
        self.outputFormats = outputFormats
    }

    /// The full dotted name written into generated scenarios and `build_cfg`.
    public var dottedName: String {
        "\(kenningModule ?? kind.kenningPackage + ".native").\(name)"
    }
}
