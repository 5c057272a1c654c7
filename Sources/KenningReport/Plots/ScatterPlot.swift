import Foundation

/// Points of two metrics (e.g. accuracy against latency): marker size by a third value (model size), colour and shape
/// by series, the Pareto front as a step line, the pick ringed, constraint limits as dashed lines.
struct ScatterPlot {
    struct Point {
        var x: Double
        var y: Double
        var size: Double?
        var series: Int
        var label: String
        var highlight = false
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var points: [Point]
    var seriesNames: [String]
    /// Indices into `points`, in x order, joined as the front.
    var front: [Int] = []
    var xLimits: [(value: Double, label: String)] = []
    var yLimits: [(value: Double, label: String)] = []
    var xLog = true
    var sizeLabel: String?

    func svg() -> String {
        let rows = (seriesNames.count + 2) / 3 + (front.isEmpty && sizeLabel == nil ? 0 : 1)
        var f = PlotFrame(title: title, xLabel: xLabel, yLabel: yLabel, xs: points.map(\.x) + xLimits.map(\.value),
                          ys: points.map(\.y) + yLimits.map(\.value), xLog: xLog, legendRows: rows)
        f.drawAxes()
        let sizes = points.compactMap(\.size).filter { $0 > 0 }
        let smallest = sizes.min() ?? 1, largest = sizes.max() ?? 1
        func radius(_ s: Double?) -> Double {
            guard let s, s > 0, largest > smallest else { return 6 }
            return 4 + 10 * sqrt((s - smallest) / (largest - smallest))
        }
        for limit in xLimits {
            let px = f.x(limit.value)
            f.svg.line(px, f.plotTop, px, f.plotBottom, stroke: Palette.pick, width: 1.2, dash: "6 4")
            f.svg.text(limit.label, x: px + 4, y: f.plotTop + 12, size: 10, fill: Palette.pick)
        }
        for limit in yLimits {
            let py = f.y(limit.value)
            f.svg.line(f.plotLeft, py, f.plotRight, py, stroke: Palette.pick, width: 1.2, dash: "6 4")
            f.svg.text(limit.label, x: f.plotRight - 4, y: py - 4, anchor: "end", size: 10, fill: Palette.pick)
        }
        if front.count > 1 {
            let pts = front.map { (f.x(points[$0].x), f.y(points[$0].y)) }
            var stepped: [(Double, Double)] = [pts[0]]
            for p in pts.dropFirst() { stepped.append((p.0, stepped.last!.1)); stepped.append(p) }
            f.svg.polyline(stepped, stroke: Palette.muted, width: 1.5, dash: "4 3")
        }
        // Large markers first, so small ones stay visible on top.
        for p in points.sorted(by: { radius($0.size) > radius($1.size) }) {
            let r = radius(p.size)
            MarkerShape.of(p.series).draw(into: &f.svg, x: f.x(p.x), y: f.y(p.y), r: r, fill: Palette.color(p.series), tooltip: p.label)
            if p.highlight {
                f.svg.element("circle", [("cx", SVGMarkup.number(f.x(p.x))), ("cy", SVGMarkup.number(f.y(p.y))), ("r", SVGMarkup.number(r + 5)),
                                         ("fill", "none"), ("stroke", Palette.pick), ("stroke-width", "2.5")])
            }
        }
        var legend: [(label: String, color: String, shape: MarkerShape?)] = seriesNames.enumerated().map { ($1, Palette.color($0), MarkerShape.of($0)) }
        if !front.isEmpty { legend.append(("Pareto front (dashed)", Palette.muted, nil)) }
        if points.contains(where: \.highlight) { legend.append(("the pick (ringed)", Palette.pick, nil)) }
        if let sizeLabel, largest > smallest { legend.append(("marker size: \(sizeLabel)", Palette.muted, nil)) }
        f.drawLegend(legend)
        return f.document(description: "\(points.count) points: \(yLabel) against \(xLabel)")
    }
}
