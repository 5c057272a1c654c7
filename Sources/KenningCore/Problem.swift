
/// One problem found in the user's input or during a run, phrased for the person who has to fix it:
/// what went wrong, where (file and JSON path), and what to do next.
public struct Problem: Sendable, Equatable, CustomStringConvertible {
    public var what: String
    public var file: String?
    public var path: String?
    public var fix: String?

    public init(_ what: String, file: String? = nil, path: String? = nil, fix: String? = nil) {
        self.what = what
        self.file = file
        self.path = path
        self.fix = fix
    }

    public var location: String? {
        switch (file, path) {
        case let (f?, p?): return "\(f) at \(p)"
        case let (f?, nil): return f
        case let (nil, p?): return p
        default: return nil
        }
    }

    public var description: String {
        var text = what
        if let location { text += "\n    where: \(location)" }
        if let fix { text += "\n    fix: \(fix)" }
        return text
    }
}
