import Foundation
import KenningCore

/// Writes a report: the Markdown file with its figures as SVG files in `<name>_img/` beside it, and the HTML page.
public enum ReportFiles {
    /// Writes what is asked; returns the paths written. Each file is written whole or not at all (atomic rename), so an
    /// earlier report at the same path survives a failure.
    @discardableResult
    public static func write(_ doc: ReportDocument, markdownPath: String?, htmlPath: String?) throws(KenningError) -> [String] {
        var written: [String] = []
        if let markdownPath {
            let dir = folder(of: markdownPath) as NSString
            let images = ((markdownPath as NSString).lastPathComponent as NSString).deletingPathExtension + "_img"
            let (text, files) = MarkdownRenderer.render(doc, imageFolder: images)
            try make(dir.appendingPathComponent(images), for: markdownPath)
            for f in files { try save(f.content, to: dir.appendingPathComponent(f.path)) }
            try save(text, to: markdownPath)
            written.append(markdownPath)
        }
        if let htmlPath {
            try make(folder(of: htmlPath), for: htmlPath)
            try save(HTMLRenderer.render(doc), to: htmlPath)
            written.append(htmlPath)
        }
        return written
    }

    /// The folder a file is written in ("." for a bare name).
    static func folder(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    static func make(_ dir: String, for report: String) throws(KenningError) {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw .badInput("cannot create \(dir) for the report: \(error.localizedDescription)", file: report, fix: "choose a writable --report-path")
        }
    }

    static func save(_ text: String, to path: String) throws(KenningError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .badInput("cannot write \(path): \(error.localizedDescription)", file: path, fix: "choose a writable --report-path")
        }
    }
}
