/// A table whose cells keep a numeric sort key beside their text (the HTML table sorts by it, offline).
public struct ReportTable: Sendable {
    public struct Cell: Sendable {
        public var text: String
        public var sortKey: Double?

        public init(_ text: String, sortKey: Double? = nil) {
            self.text = text
            self.sortKey = sortKey
        }
    }

    public var header: [String]
    public var rows: [[Cell]]
    /// Rows shown highlighted (the pick).
    public var highlighted: Set<Int> = []
    public var sortable = true

    public init(header: [String], rows: [[Cell]], highlighted: Set<Int> = [], sortable: Bool = true) {
        self.header = header
        self.rows = rows
        self.highlighted = highlighted
        self.sortable = sortable
    }
}
