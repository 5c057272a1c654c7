/// A plot: its anchor and file name (`id`), caption, and standalone SVG.
public struct ReportFigure: Sendable {
    public var id: String
    public var caption: String
    public var svg: String

    public init(id: String, caption: String, svg: String) {
        self.id = id
        self.caption = caption
        self.svg = svg
    }
}
