/// What a section holds.
public enum ReportBlock: Sendable {
    case paragraph(String)
    case list([String])
    case facts([(String, String)])
    case table(ReportTable)
    case figure(ReportFigure)
    /// A smaller heading inside a section (a run's name in a section of runs).
    case subheading(String)
}
