/// A report as content, before it is HTML or Markdown: a title, the facts under it, and sections of blocks.
public struct ReportDocument: Sendable {
    public var title: String
    /// Short facts shown under the title (command, machine, versions).
    public var facts: [(String, String)]
    public var sections: [ReportSection]

    public init(title: String, facts: [(String, String)] = [], sections: [ReportSection] = []) {
        self.title = title
        self.facts = facts
        self.sections = sections
    }

    /// Every figure in the document, in order.
    public var figures: [ReportFigure] {
        sections.flatMap { $0.blocks.compactMap { if case let .figure(f) = $0 { return f }; return nil } }
    }
}
