import Foundation

/// Distributions as violins, one row each (Kenning's comparison plot): the density of the values (a Gaussian kernel
/// estimate on the axis' scale, Silverman's bandwidth) mirrored about the row's centre line, with the median and p99
/// marked.
struct ViolinPlot {
    struct Row {
        var label: String
        var sorted: [Double]
    }

    var title: String
    var valueLabel: String
    var rows: [Row]

    /// Density of `values` at `points` (both already on the axis' scale), normalised to a peak of 1.
    static func density(_ values: [Double], at points: [Double]) -> [Double] {
        guard values.count > 1 else { return points.map { _ in 1 } }
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = sqrt(values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1))
        let iqr = BoxPlot.percentile(values, 75) - BoxPlot.percentile(values, 25)
        let spread = min(sd, iqr / 1.34) > 0 ? min(sd, iqr / 1.34) : max(sd, 1e-9)
        let h = 0.9 * spread * pow(Double(values.count), -0.2)
        // At most 2000 values enter the estimate (evenly spaced in rank): the shape is the same, the cost bounded.
        let step = max(1, values.count / 2000)
        let sample = stride(from: 0, to: values.count, by: step).map { values[$0] }
        let d = points.map { p in sample.reduce(0) { $0 + exp(-0.5 * pow((p - $1) / h, 2)) } }
        let peak = d.max() ?? 1
        return d.map { peak > 0 ? $0 / peak : 0 }
    }

    func svg() -> String {
        let rowHeight = 44.0, left = 180.0, top = 40.0, width = 760.0
        let all = rows.flatMap { r in [r.sorted.first ?? .nan, r.sorted.last ?? .nan] }
        let frame = RowsFrame(values: all, rows: rows.count, rowHeight: rowHeight, top: top, left: left, right: width - 24)
        let x = frame.x, plotBottom = frame.bottom
        var svg = SVGMarkup()
        frame.draw(into: &svg, title: title, valueLabel: valueLabel)
        for (i, r) in rows.enumerated() where !r.sorted.isEmpty {
            let cy = top + (Double(i) + 0.5) * rowHeight
            let scaled = r.sorted.map { x.log ? log10(max($0, 1e-300)) : $0 }
            let lo = scaled.first!, hi = scaled.last!
            let points = (0...80).map { lo + (hi - lo) * Double($0) / 80 }
            let d = Self.density(scaled, at: points)
            let px = points.map { x.log ? x(pow(10, $0)) : x($0) }
            let half = rowHeight * 0.42
            let upper = zip(px, d).map { "\(SVGMarkup.number($0)),\(SVGMarkup.number(cy - $1 * half))" }
            let lower = zip(px, d).reversed().map { "\(SVGMarkup.number($0)),\(SVGMarkup.number(cy + $1 * half))" }
            svg.element("polygon", [("points", (upper + lower).joined(separator: " ")), ("fill", Palette.color(i)), ("fill-opacity", "0.45"),
                                    ("stroke", Palette.color(i)), ("stroke-width", "1")],
                        tooltip: "\(r.label): median \(AxisScale.label(BoxPlot.percentile(r.sorted, 50))), p99 \(AxisScale.label(BoxPlot.percentile(r.sorted, 99))), n \(r.sorted.count)")
            let median = x(BoxPlot.percentile(r.sorted, 50)), p99 = x(BoxPlot.percentile(r.sorted, 99))
            svg.line(median, cy - half, median, cy + half, stroke: Palette.ink, width: 2.5)
            svg.line(p99, cy - half * 0.5, p99, cy + half * 0.5, stroke: Palette.ink, width: 1.2, dash: "3 2")
            svg.text(PlotFrame.clipMiddle(r.label, to: 28), x: left - 8, y: cy + 4, anchor: "end", size: 10)
        }
        svg.text("width: how often a latency occurs · thick line: median · dashed: p99", x: 12, y: plotBottom + 54, size: 10, fill: Palette.muted)
        return svg.document(width: width, height: plotBottom + 66, title: title, description: "\(rows.count) latency distributions as violins")
    }
}
