/// One registered block: its description and how to build it from validated parameters.
public struct BlockEntry: Sendable {
    public let description: BlockDescription
    public let maker: BlockMaker
    public init(_ description: BlockDescription, maker: BlockMaker) {
        self.description = description
        self.maker = maker
    }
}
