import Foundation

/// Distributions side by side, one row each: box p25–p75, median line, whiskers from the minimum to p99, ticks at
/// p90 and p99, and the confidence interval of the median as a bar under the box.
struct BoxPlot {
    struct Row {
        var label: String
        var sorted: [Double]
        var ci: (low: Double, high: Double)?
        var highlight = false
    }

    var title: String
    var valueLabel: String
    var rows: [Row]

    static func percentile(_ s: [Double], _ q: Double) -> Double {
        guard !s.isEmpty else { return .nan }
        let pos = q / 100 * Double(s.count - 1)
        let i = Int(pos.rounded(.down)), frac = pos - Double(i)
        return i + 1 < s.count ? s[i] + (s[i + 1] - s[i]) * frac : s[i]
    }

    func svg() -> String {
        let rowHeight = 24.0, left = 300.0, top = 40.0
        let values = rows.flatMap { r in [r.sorted.first ?? .nan, Self.percentile(r.sorted, 99)] }
        let width = 820.0
        let height = top + Double(rows.count) * rowHeight + 70
        let frame = RowsFrame(values: values, rows: rows.count, rowHeight: rowHeight, top: top, left: left, right: width - 24)
        let x = frame.x, plotBottom = frame.bottom
        var svg = SVGMarkup()
        frame.draw(into: &svg, title: title, valueLabel: valueLabel)
        for (i, r) in rows.enumerated() where !r.sorted.isEmpty {
            let cy = top + Double(i) * rowHeight + rowHeight / 2
            let p = { (q: Double) in Self.percentile(r.sorted, q) }
            let color = r.highlight ? Palette.pick : Palette.color(0)
            svg.text(PlotFrame.clipMiddle(r.label, to: r.highlight ? 42 : 46), x: left - 8, y: cy + 4, anchor: "end", size: 10, weight: r.highlight ? "bold" : nil)
            svg.line(x(r.sorted[0]), cy, x(p(99)), cy, stroke: color)
            svg.line(x(r.sorted[0]), cy - 4, x(r.sorted[0]), cy + 4, stroke: color)
            let tip = String(format: "%@: median %@, p90 %@, p99 %@, n %d", r.label, AxisScale.label(p(50)), AxisScale.label(p(90)),
                             AxisScale.label(p(99)), r.sorted.count)
            svg.rect(x(p(25)), cy - 7, x(p(75)) - x(p(25)), 14, fill: color, stroke: color, tooltip: tip, extra: [("fill-opacity", "0.35")])
            svg.line(x(p(50)), cy - 8, x(p(50)), cy + 8, stroke: Palette.ink, width: 2.5)
            for (q, h) in [(90.0, 5.0), (99.0, 8.0)] { svg.line(x(p(q)), cy - h, x(p(q)), cy + h, stroke: color, width: 1.5) }
            if let ci = r.ci { svg.rect(x(ci.low), cy + 8, max(1.5, x(ci.high) - x(ci.low)), 3, fill: Palette.ink) }
        }
        svg.text("box p25–p75 · thick line: median · ticks: p90, p99 · whiskers: min–p99 · bar below: CI of the median",
                 x: 12, y: plotBottom + 54, size: 10, fill: Palette.muted)
        return svg.document(width: width, height: height, title: title, description: "\(rows.count) distributions of \(valueLabel)")
    }
}
