import Foundation
import Testing

/// Headless Chromium (Debian's `chromium`, which scripts/test installs): screenshots and a look inside a rendered page.
enum Chromium {
    static let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func run(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        // No network: every host name fails to resolve, so a page that tried to fetch anything would show it.
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                       "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=\(CLI.tempDir())"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// A PNG of the page's top `width` × `height` CSS pixels at half scale.
    static func screenshot(_ html: String, to png: String, width: Int = 1100, height: Int = 2200) throws {
        _ = try run(["--force-device-scale-factor=0.5", "--window-size=\(width),\(height)", "--screenshot=\(png)", "file://\(html)"])
    }

    /// What the browser saw in the page: each plot's drawn bounding box, the resources it loaded, anchors that lead
    /// nowhere. A copy of the page gets a script that writes them into the DOM, which Chromium then dumps.
    static func inspect(_ html: String) throws -> [String: Any] {
        let probe = """
            <script>
            (function () {
              var out = {plots: [], resources: performance.getEntriesByType("resource").map(function (e) { return e.name; }), broken: []};
              document.querySelectorAll("svg.plot").forEach(function (s) {
                var b = s.getBBox(), f = s.closest("figure");
                out.plots.push({id: f ? f.id : "", width: b.width, height: b.height, texts: s.querySelectorAll("text").length});
              });
              document.querySelectorAll('a[href^="#"]').forEach(function (a) {
                if (!document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)))) out.broken.push(a.getAttribute("href"));
              });
              var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
            })();
            </script></body>
            """
        let copy = (html as NSString).deletingPathExtension + ".probe.html"
        try String(contentsOfFile: html, encoding: .utf8).replacingOccurrences(of: "</body>", with: probe).write(toFile: copy, atomically: true, encoding: .utf8)
        let dom = try run(["--virtual-time-budget=3000", "--dump-dom", "file://\(copy)"])
        guard let start = dom.range(of: "<pre id=\"probe\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else { return [:] }
        let json = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        return (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    }

    /// Distinct colours and the share of non-white pixels in a PNG (decoded with Python's zlib, all five filters).
    static func pixels(_ png: String) throws -> (colors: Int, inked: Double) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", """
            import struct, sys, zlib
            data = open(sys.argv[1], "rb").read()
            assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
            pos, idat = 8, b""
            while pos < len(data):
                n = struct.unpack(">I", data[pos:pos + 4])[0]; kind = data[pos + 4:pos + 8]; body = data[pos + 8:pos + 8 + n]; pos += 12 + n
                if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
                elif kind == b"IDAT": idat += body
            bpp = {2: 3, 6: 4}[ctype]; stride = w * bpp; raw = zlib.decompress(idat)
            prev = bytearray(stride); colors = set(); inked = 0
            for y in range(h):
                f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
                for i in range(stride):
                    a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
                    if f == 1: line[i] = (line[i] + a) & 255
                    elif f == 2: line[i] = (line[i] + b) & 255
                    elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                    elif f == 4:
                        p0 = a + b - c; pa, pb, pc = abs(p0 - a), abs(p0 - b), abs(p0 - c)
                        line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                for x in range(0, stride, bpp):
                    px = bytes(line[x:x + 3]); colors.add(px)
                    if px != b"\\xff\\xff\\xff": inked += 1
                prev = line
            print(len(colors), inked / (w * h))
            """, png]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let parts = text.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        return (Int(parts.first ?? "") ?? 0, Double(parts.last ?? "") ?? 0)
    }
}

/// The report's numbers masked, for golden files: what the report says and shows, not what this machine measured.
func maskedReport(_ text: String, temporary: String) -> String {
    // The machine's own facts differ between machines (ISA flags, int8 path, memory): their lines are left out.
    let machine = ["CPU", "ISA flags", "int8 dot product", "cores", "memory", "load average", "OS"].map { "- **\($0)**:" }
    let masked = GoldenFile.masked(text, temporary: temporary).split(separator: "\n", omittingEmptySubsequences: false)
        .filter { line in !machine.contains { line.hasPrefix($0) } }.joined(separator: "\n")
    guard let digits = try? NSRegularExpression(pattern: "[0-9]+(\\.[0-9]+)?(e-?[0-9]+)?") else { return masked }
    return digits.stringByReplacingMatches(in: masked, range: NSRange(masked.startIndex..., in: masked), withTemplate: "N")
}

/// `kenning report`: one measurements file, three compared, a file Kenning wrote, fine-tune searches (grid and TPE),
/// bad input; and the page as a browser shows it.
@Suite(.serialized) struct ReportTests {
    static let kenningFixture = CLI.root + "/Tests/KenningCLITests/Support/kenning-measurements/kenning-0.8-tflite-magic-wand.json"

    /// A digits scenario on one native backend.
    func measure(_ backend: String, in dir: String) throws -> String {
        let cfg = "\(dir)/\(backend).json"
        try """
            {"model_wrapper": {"type": "ONNXImageClassifier", "parameters": {"model_path": "models/digits-cnn.onnx", "input_mean": 0.0, "input_std": 16.0}},
             "dataset": {"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits"}},
             "optimizers": [{"type": "NativeGraphOptimizer", "parameters": {"compiled_model_path": "\(dir)/\(backend)-opt.onnx"}}],
             "runtime": {"type": "NativeRuntime", "parameters": {"save_model_path": "\(dir)/\(backend).onnx", "backend": "\(backend)"}}}
            """.write(toFile: cfg, atomically: true, encoding: .utf8)
        let r = try CLI.run(["optimize", "test", "--json-cfg", cfg, "--measurements", "\(dir)/\(backend)-m.json"])
        #expect(r.status == 0, "\(r.stderr)")
        return "\(dir)/\(backend)-m.json"
    }

    @Test func oneFileThreeComparedAndOneKenningWrote() throws {
        let dir = CLI.tempDir()
        let files = try ["reference", "openblas", "onednn"].map { try measure($0, in: dir) }
        // One file: its performance and classification sections, figures as SVG files beside the Markdown.
        let one = try CLI.run(["report", "--measurements", files[0], "--report-path", "\(dir)/one.md", "--to-html"])
        #expect(one.status == 0, "\(one.stderr)")
        let md = try String(contentsOfFile: "\(dir)/one.md", encoding: .utf8)
        for id in ["run-0-latency", "run-0-spread", "run-0-resources", "run-0-confusion"] {
            #expect(md.contains("(one_img/\(id).svg)") && FileManager.default.fileExists(atPath: "\(dir)/one_img/\(id).svg"), "\(id)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(dir)/one.html"))
        // Three compared, named, with Kenning's summary file.
        let three = try CLI.run(["report", "--measurements"] + files + ["--model-names", "reference", "openblas", "onednn",
                                                                        "--report-path", "\(dir)/three.md", "--to-html", "\(dir)/html", "--save-summary"])
        #expect(three.status == 0, "\(three.stderr)")
        let cmp = try String(contentsOfFile: "\(dir)/three.md", encoding: .utf8)
        for heading in ["## Performance comparison", "## Quality against latency", "## Metrics per file", "## onednn"] {
            #expect(cmp.contains(heading), "missing \(heading)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(dir)/html/three.html"))
        let summary = try #require(try CLI.json("\(dir)/three.summary.json") as? [[String: Any]])
        #expect(summary.map { $0["modelName"] as? String } == ["reference", "openblas", "onednn"])
        #expect(summary.allSatisfy { ($0["metrics"] as? [[String: Any]])?.contains { $0["name"] as? String == "accuracy" } == true })
        try GoldenFile.check(maskedReport(cmp, temporary: dir), "report/three-compared.md")
        // --comparison-only leaves out the per-file sections.
        let only = try CLI.run(["report", "--measurements"] + files + ["--report-path", "\(dir)/only.md", "--comparison-only"])
        let onlyText = try String(contentsOfFile: "\(dir)/only.md", encoding: .utf8)
        #expect(only.status == 0 && !onlyText.contains("run-0-latency.svg") && onlyText.contains("comparison-latency-series.svg"))
        // Chained as in Kenning: the pipeline runs, then the report of what it measured.
        let chained = try CLI.run(["test", "report", "--json-cfg", "\(dir)/onednn.json", "--measurements", "\(dir)/chained-m.json",
                                   "--report-path", "\(dir)/chained.md", "--to-html"])
        #expect(chained.status == 0, "\(chained.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/chained.md") && FileManager.default.fileExists(atPath: "\(dir)/chained.html"))
        #expect(cmp.contains("comparison-latency-violin.svg"))
        // A measurements file in Kenning 0.8's shape: its pipeline, and Kenning's metrics from its confusion matrix
        // (accuracy = trace / total = 190 / 200).
        let k = try CLI.run(["report", "--measurements", Self.kenningFixture, "--report-path", "\(dir)/kenning.md", "--to-html"])
        #expect(k.status == 0, "\(k.stderr)")
        let kmd = try String(contentsOfFile: "\(dir)/kenning.md", encoding: .utf8)
        #expect(kmd.contains("TFLiteCompiler → TFLiteRuntime(disable_performance_measurements=false, num_threads=4)") && kmd.contains("`Kenning`") && kmd.contains("| Accuracy | 0.95000 |"), "\(kmd.prefix(2500))")
        try GoldenFile.check(maskedReport(kmd, temporary: dir), "report/kenning-0.8.md")
    }

    /// A search writes its report; `kenning report --search` rebuilds the same one; TPE's report has its trajectory.
    @Test func searchReportsGridAndTPE() throws {
        let dir = CLI.tempDir()
        let grid = fineTuneConfig(runtime: #"[{"type": "NativeRuntime", "parameters": {"save_model_path": ["\#(dir)/m.onnx"], "backend": ["reference", "onednn"]}}]"#,
                                  dataset: #"{"type": "DigitsDataset", "parameters": {"dataset_root": "data/digits", "reduce_dataset": 0.3}}"#,
                                  extra: #""measurement": {"min_time": 0.1, "max_time": 0.5},"#)
        try grid.write(toFile: "\(dir)/grid.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/grid/out.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("report: \(dir)/grid/out_report.html"))
        let first = try String(contentsOfFile: "\(dir)/grid/out_report.md", encoding: .utf8)
        for heading in ["## The pick", "## Results", "## Latency distributions", "## Quality against latency", "## What each parameter did",
                        "## The search's trajectory", "(the pick)"] {
            #expect(first.contains(heading), "missing \(heading)")
        }
        #expect(first.contains("effect-nativeruntime-backend.svg") && first.contains("effect-nativegraphoptimizer-fuse-activations.svg"))
        let rebuilt = try CLI.run(["report", "--search", "\(dir)/grid/out.json"])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        let second = try String(contentsOfFile: "\(dir)/grid/out_report.md", encoding: .utf8)
        #expect(second == first)
        // --no-report writes none.
        let quiet = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/grid.json", "--output", "\(dir)/quiet/out.json", "--no-report"])
        #expect(quiet.status == 0 && !FileManager.default.fileExists(atPath: "\(dir)/quiet/out_report.html"))
        // TPE over the same grid: the trajectory names the strategy.
        try grid.replacingOccurrences(of: #""strategy": "grid_search""#, with: #""strategy": "tpe", "max_runs": 5, "seed": 7"#)
            .write(toFile: "\(dir)/tpe.json", atomically: true, encoding: .utf8)
        let tpe = try CLI.run(["fine-tune-optimizers", "--json-cfg", "\(dir)/tpe.json", "--output", "\(dir)/tpe/out.json"])
        #expect(tpe.status == 0, "\(tpe.stderr)")
        let tmd = try String(contentsOfFile: "\(dir)/tpe/out_report.md", encoding: .utf8)
        #expect(tmd.contains("strategy tpe") && tmd.contains("trajectory.svg"))
    }

    @Test(.enabled(if: Chromium.path != nil, "chromium is not installed (scripts/test installs Debian's chromium)"))
    func theDefaultGridsReportInABrowser() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["fine-tune-optimizers", "--json-cfg", "examples/digits-fine-tune.json", "--output", "\(dir)/best.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let html = "\(dir)/best_report.html"
        let page = try String(contentsOfFile: html, encoding: .utf8)
        // Self-contained: no external reference in any attribute, no stylesheet link, import or url().
        let external = try NSRegularExpression(pattern: "(src|href)=\"(?!#)[^\"]*\"|<link|@import|url\\(")
        #expect(external.firstMatch(in: page, range: NSRange(page.startIndex..., in: page)) == nil)
        // The browser loaded nothing, every anchor leads somewhere, every plot drew something.
        let seen = try Chromium.inspect(html)
        let plots = try #require(seen["plots"] as? [[String: Any]], "no probe output: \(seen)")
        #expect((seen["resources"] as? [Any])?.isEmpty == true, "\(seen["resources"] ?? "")")
        #expect((seen["broken"] as? [Any])?.isEmpty == true, "\(seen["broken"] ?? "")")
        #expect(plots.count >= 8)
        for p in plots {
            #expect((p["width"] as? Double ?? 0) > 50 && (p["height"] as? Double ?? 0) > 50 && (p["texts"] as? Int ?? 0) > 3, "\(p)")
        }
        // What a person sees: a screenshot that is not blank.
        let png = "\(dir)/report.png"
        try Chromium.screenshot(html, to: png)
        let (colors, inked) = try Chromium.pixels(png)
        #expect(colors > 20 && inked > 0.02 && inked < 0.9, "colours \(colors), non-white share \(inked)")
    }

    @Test func badInputGetsOneClearMessage() throws {
        let dir = CLI.tempDir()
        try "{ not json".write(toFile: "\(dir)/broken.json", atomically: true, encoding: .utf8)
        try "[1, 2]".write(toFile: "\(dir)/list.json", atomically: true, encoding: .utf8)
        try #"{"hello": 1}"#.write(toFile: "\(dir)/other.json", atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["report", "--report-path", "\(dir)/r.md"], "needs measurements"),
            (["report", "--measurements", "\(dir)/missing.json", "--report-path", "\(dir)/r.md"], "cannot read the measurements file"),
            (["report", "--measurements", "\(dir)/broken.json", "--report-path", "\(dir)/r.md"], "is not JSON"),
            (["report", "--measurements", "\(dir)/list.json", "--report-path", "\(dir)/r.md"], "not a measurements object"),
            (["report", "--measurements", "\(dir)/other.json", "--report-path", "\(dir)/r.md"], "none of a measurements file's keys"),
            (["report", "--measurements", Self.kenningFixture], "needs --report-path"),
            (["report", "--measurements", Self.kenningFixture, "--model-names", "a", "b", "--report-path", "\(dir)/r.md"], "2 --model-names for 1"),
            (["report", "--measurements", Self.kenningFixture, "--report-types", "speed", "--report-path", "\(dir)/r.md"], "unknown report type \"speed\""),
            (["report", "--measurements", Self.kenningFixture, "--main-quality-metric", "f2", "--report-path", "\(dir)/r.md"], "unknown --main-quality-metric"),
            (["report", "--measurements", Self.kenningFixture, "--only-png-images", "--report-path", "\(dir)/r.md"], "every figure is SVG"),
            (["report", "--search", "\(dir)/other.json"], "no search results next to"),
        ]
        try "earlier".write(toFile: "\(dir)/r.md", atomically: true, encoding: .utf8)
        for (args, needle) in cases {
            let r = try CLI.run(args)
            #expect(r.status == 2 && r.stderr.hasPrefix("error:") && r.stderr.contains(needle) && r.stderr.contains("fix:"), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error"))
        }
        // Nothing already written is lost.
        let kept = try String(contentsOfFile: "\(dir)/r.md", encoding: .utf8)
        #expect(kept == "earlier")
    }
}
