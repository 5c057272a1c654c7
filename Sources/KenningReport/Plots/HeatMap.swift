import Foundation

/// A matrix as coloured cells (a confusion matrix: rows the truth, columns the prediction), shaded per row so each
/// class's recall reads as the diagonal's darkness; counts printed in cells up to 20 classes.
struct HeatMap {
    var title: String
    var rowLabel: String
    var columnLabel: String
    var labels: [String]
    var matrix: [[Double]]

    func svg() -> String {
        let n = matrix.count
        let cell = max(4, min(36, 520 / Double(max(1, n))))
        let left = n <= 40 ? 120.0 : 60.0, top = 48.0
        let width = max(left + cell * Double(n) + 30, 24 + Double(title.count) * 7.5), height = top + cell * Double(n) + (n <= 40 ? 90 : 50)
        var svg = SVGMarkup()
        svg.text(title, x: 12, y: 22, size: 13, weight: "bold")
        for (i, row) in matrix.enumerated() {
            let total = row.reduce(0, +)
            for (j, v) in row.enumerated() {
                let t = total > 0 ? v / total : 0
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                let truth = i < labels.count ? labels[i] : "\(i)", predicted = j < labels.count ? labels[j] : "\(j)"
                svg.rect(x, y, cell, cell, fill: Palette.sequential(t), stroke: "#ffffff",
                         tooltip: "truth \(truth), predicted \(predicted): \(AxisScale.label(v)) (\(String(format: "%.1f", t * 100))% of the row)")
                if n <= 20, v > 0 {
                    svg.text(AxisScale.label(v), x: x + cell / 2, y: y + cell / 2 + 4, anchor: "middle", size: min(11, cell / 2.6), fill: Palette.inkOn(t))
                }
            }
            if n <= 40 {
                svg.text(PlotFrame.clip(i < labels.count ? labels[i] : "\(i)", to: 16), x: left - 6, y: top + (Double(i) + 0.5) * cell + 4,
                         anchor: "end", size: min(10, cell * 0.7))
            }
        }
        if n <= 40 {
            for j in 0..<n {
                let x = left + (Double(j) + 0.5) * cell, y = top + cell * Double(n) + 8
                svg.text(PlotFrame.clip(j < labels.count ? labels[j] : "\(j)", to: 16), x: x, y: y, anchor: "end", size: min(10, cell * 0.7),
                         rotate: -60, baseline: "middle")
            }
        }
        svg.text(rowLabel + " (rows) · " + columnLabel + " (columns) · shade: share of the row", x: left, y: height - 10, size: 10, fill: Palette.muted)
        return svg.document(width: width, height: height, title: title, description: "\(n) × \(n) matrix")
    }
}
