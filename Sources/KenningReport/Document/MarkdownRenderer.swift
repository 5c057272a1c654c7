import Foundation

/// A report as Markdown: pipe tables, and each figure as an SVG file in `imageFolder` (relative to the Markdown file).
public enum MarkdownRenderer {
    /// The Markdown text and the figure files to write (`imageFolder/<id>.svg` → SVG text).
    public static func render(_ doc: ReportDocument, imageFolder: String) -> (text: String, files: [(path: String, content: String)]) {
        var out = "# \(doc.title)\n\n"
        var files: [(String, String)] = []
        out += facts(doc.facts)
        out += "## Contents\n\n" + doc.sections.enumerated().map { "\($0 + 1). [\($1.title)](#\($1.id))" }.joined(separator: "\n") + "\n\n"
        for s in doc.sections {
            out += "<a id=\"\(s.id)\"></a>\n\n## \(s.title)\n\n"
            for b in s.blocks {
                switch b {
                case let .paragraph(text): out += escape(text) + "\n\n"
                case let .subheading(text): out += "### \(escape(text))\n\n"
                case let .list(items): out += items.map { "- " + escape($0) }.joined(separator: "\n") + "\n\n"
                case let .facts(pairs): out += facts(pairs)
                case let .table(t): out += table(t) + "\n"
                case let .figure(f):
                    let path = "\(imageFolder)/\(f.id).svg"
                    files.append((path, f.svg))
                    out += "![\(escape(f.caption))](\(path))\n\n*\(escape(f.caption))*\n\n"
                }
            }
        }
        return (out, files)
    }

    static func facts(_ pairs: [(String, String)]) -> String {
        pairs.isEmpty ? "" : pairs.map { "- **\(escape($0.0))**: \(code($0.1))" }.joined(separator: "\n") + "\n\n"
    }

    static func table(_ t: ReportTable) -> String {
        func row(_ cells: [String]) -> String { "| " + cells.map { escape($0).replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
        var lines = [row(t.header), "|" + t.header.indices.map { i in t.rows.first.map { i < $0.count && $0[i].sortKey != nil } == true ? "---:|" : "---|" }.joined()]
        for (i, r) in t.rows.enumerated() {
            lines.append(row(r.map { t.highlighted.contains(i) ? "**\($0.text)**" : $0.text }))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text with Markdown's inline markers escaped.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if "\\`*_[]<>".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    static func code(_ s: String) -> String {
        s.contains("`") ? "``\(s)``" : "`\(s)`"
    }
}
