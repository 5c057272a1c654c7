import Foundation
import Testing

/// User-visible text compared with a committed file in `Tests/KenningCLITests/Golden/`. Set `KENNING_RECORD_GOLDEN=1`
/// to write the current text instead (then review the diff and commit it).
enum GoldenFile {
    static var directory: String { CLI.root + "/Tests/KenningCLITests/Golden" }

    static func check(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = directory + "/" + name
        if ProcessInfo.processInfo.environment["KENNING_RECORD_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record("no golden file \(name): run the tests once with KENNING_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
            return
        }
        if expected != text {
            let a = expected.split(separator: "\n", omittingEmptySubsequences: false), b = text.split(separator: "\n", omittingEmptySubsequences: false)
            let line = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            Issue.record("""
                \(name) differs from the golden file at line \(line + 1):
                  golden: \(line < a.count ? String(a[line]) : "<end>")
                  now:    \(line < b.count ? String(b[line]) : "<end>")
                (re-record with KENNING_RECORD_GOLDEN=1 if the change is intended)
                """, sourceLocation: sourceLocation)
        }
    }

    /// `text` with this test's temporary directory, the process's scratch directory and the repository root replaced by
    /// placeholders.
    static func masked(_ text: String, temporary: String) -> String {
        text.replacingOccurrences(of: temporary, with: "<tmp>").replacingOccurrences(of: CLI.scratch, with: "<scratch>")
            .replacingOccurrences(of: CLI.root, with: "<repo>")
            .replacingOccurrences(of: ProcessInfo.processInfo.environment["KENNING_CACHE_DIR"] ?? NSHomeDirectory() + "/.kenning", with: "<kenning-cache>")
    }

    /// A file name for a test case's title.
    static func slug(_ title: String) -> String {
        String(title.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }
}

/// The help text of every command, as users read it.
@Suite struct HelpText {
    static let commands: [[String]] = [[], ["fine-tune-optimizers"], ["optimize"], ["test"], ["optimize", "test"], ["list"], ["info"], ["report"]]

    @Test(arguments: commands) func helpMatchesGolden(_ command: [String]) throws {
        let r = try CLI.run(command + ["--help"])
        #expect(r.status == 0, "\(r.stderr)")
        try GoldenFile.check(r.stdout, "help" + command.map { "-" + $0 }.joined() + ".txt")
    }
}
