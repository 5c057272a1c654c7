import Foundation

/// The frame every x–y plot shares: size, margins, grid, ticks, tick labels, axis labels, a title and a legend below.
/// Plots draw their marks with `x` and `y` after `drawAxes`.
struct PlotFrame {
    var width: Double = 720
    var height: Double = 400
    var left: Double = 70
    var right: Double = 20
    var top: Double = 34
    var bottom: Double = 52
    var title: String
    var xLabel: String
    var yLabel: String
    var x: AxisScale
    var y: AxisScale
    var svg = SVGMarkup()

    /// A frame whose scales cover `xs` and `ys`; `legend` rows are added below the plot area.
    init(title: String, xLabel: String, yLabel: String, xs: [Double], ys: [Double], xLog: Bool = false, yLog: Bool = false,
         yZero: Bool = false, legendRows: Int = 0, width: Double = 720, height: Double = 400, left: Double = 70) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.left = left
        self.height = height + Double(legendRows) * 18
        bottom = 52 + Double(legendRows) * 18
        x = AxisScale(values: xs, start: left, end: width - right, log: xLog)
        y = AxisScale(values: ys, start: self.height - bottom, end: top, log: yLog, includeZero: yZero)
    }

    var plotLeft: Double { left }
    var plotRight: Double { width - right }
    var plotTop: Double { top }
    var plotBottom: Double { height - bottom }

    mutating func drawAxes(xTicks: Int = 6, yTicks: Int = 5) {
        svg.text(title, x: left, y: 20, size: 13, weight: "bold")
        for t in y.ticks(yTicks) {
            let py = y(t)
            svg.line(plotLeft, py, plotRight, py, stroke: Palette.grid)
            svg.text(AxisScale.label(t), x: plotLeft - 6, y: py + 4, anchor: "end", size: 10)
        }
        for t in x.ticks(xTicks) {
            let px = x(t)
            svg.line(px, plotTop, px, plotBottom, stroke: Palette.grid)
            svg.text(AxisScale.label(t), x: px, y: plotBottom + 15, anchor: "middle", size: 10)
        }
        svg.rect(plotLeft, plotTop, plotRight - plotLeft, plotBottom - plotTop, fill: "none", stroke: "#9a9a9a")
        svg.text(xLabel + (x.log ? " (log scale)" : ""), x: (plotLeft + plotRight) / 2, y: plotBottom + 34, anchor: "middle", size: 11)
        svg.text(yLabel + (y.log ? " (log scale)" : ""), x: 16, y: (plotTop + plotBottom) / 2, anchor: "middle", size: 11, rotate: -90)
    }

    /// Legend entries in rows below the x-axis label, each with its colour and marker.
    mutating func drawLegend(_ entries: [(label: String, color: String, shape: MarkerShape?)], perRow: Int = 3) {
        let rowY = plotBottom + 52
        let colWidth = (width - left - right) / Double(perRow)
        for (i, e) in entries.enumerated() {
            let cx = left + Double(i % perRow) * colWidth + 6, cy = rowY + Double(i / perRow) * 18
            if let shape = e.shape {
                shape.draw(into: &svg, x: cx, y: cy - 4, r: 5, fill: e.color, opacity: 1)
            } else {
                svg.line(cx - 6, cy - 4, cx + 6, cy - 4, stroke: e.color, width: 3)
            }
            svg.text(Self.clip(e.label, to: Int(colWidth / 6.2) - 3), x: cx + 10, y: cy, size: 10)
        }
    }

    /// `text` shortened to `count` characters with an ellipsis.
    static func clip(_ text: String, to count: Int) -> String {
        text.count <= count ? text : String(text.prefix(max(1, count - 1))) + "…"
    }

    /// `text` shortened to `count` characters by cutting its middle: a pipeline's start and its distinguishing end stay.
    static func clipMiddle(_ text: String, to count: Int) -> String {
        guard text.count > count, count > 8 else { return text }
        let head = count / 3
        return String(text.prefix(head)) + "…" + String(text.suffix(count - head - 1))
    }

    func document(description: String) -> String { svg.document(width: width, height: height, title: title, description: description) }
}
