import Foundation

/// Series over a shared x axis (time, a threshold, a run's position), straight or as steps (best so far).
struct LinePlot {
    struct Series {
        var label: String
        var points: [(x: Double, y: Double)]
        var step = false
        var markers = false
        /// Drawn as a line (false: markers only).
        var line = true
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    var yLog = false
    var yZero = false

    func svg() -> String {
        var f = PlotFrame(title: title, xLabel: xLabel, yLabel: yLabel, xs: series.flatMap { $0.points.map(\.x) },
                          ys: series.flatMap { $0.points.map(\.y) }, yLog: yLog, yZero: yZero, legendRows: series.count > 1 ? (series.count + 2) / 3 : 0)
        f.drawAxes()
        for (i, s) in series.enumerated() {
            // A pause in the data (between measurement chunks) is a gap in the line, not a straight segment across it.
            let steps = zip(s.points.dropFirst(), s.points).map { $0.x - $1.x }.filter { $0 > 0 }.sorted()
            let gap = steps.isEmpty || s.step ? Double.infinity : steps[steps.count / 2] * 20
            var segments: [[(x: Double, y: Double)]] = []
            for p in s.points {
                if let last = segments.last?.last, p.x - last.x <= gap { segments[segments.count - 1].append(p) } else { segments.append([p]) }
            }
            for segment in segments where s.line {
                var pts = segment.map { (f.x($0.x), f.y($0.y)) }
                if s.step, pts.count > 1 {
                    var stepped = [pts[0]]
                    for p in pts.dropFirst() { stepped.append((p.0, stepped.last!.1)); stepped.append(p) }
                    pts = stepped
                }
                if pts.count > 3000 { pts = Self.thinned(pts) }
                f.svg.polyline(pts, stroke: Palette.color(i), width: 1.5, dash: i % 2 == 1 && series.count > 2 ? "5 2" : nil)
            }
            if s.markers {
                for p in s.points { MarkerShape.of(i).draw(into: &f.svg, x: f.x(p.x), y: f.y(p.y), r: 3.5, fill: Palette.color(i)) }
            }
        }
        if series.count > 1 { f.drawLegend(series.enumerated().map { ($1.label, Palette.color($0), $1.markers ? MarkerShape.of($0) : nil) }) }
        return f.document(description: "\(series.count) series of \(yLabel) against \(xLabel)")
    }

    /// A long line kept to its lowest and highest point per half pixel column: the same picture, spikes included.
    static func thinned(_ pts: [(Double, Double)]) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        var column = -Double.infinity
        var low = pts[0], high = pts[0]
        func flush() { out += low.0 <= high.0 ? [low, high] : [high, low] }
        for p in pts {
            let c = (p.0 * 2).rounded(.down)
            if c != column {
                if column.isFinite { flush() }
                column = c
                low = p
                high = p
            } else {
                if p.1 < low.1 { low = p }
                if p.1 > high.1 { high = p }
            }
        }
        flush()
        return out
    }
}
