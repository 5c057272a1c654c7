import Foundation

/// Vertical bars per category, one bar per group side by side, each with an optional range line (min–max of the
/// runs behind it).
struct BarPlot {
    struct Group {
        var label: String
        var values: [Double?]
        var ranges: [(low: Double, high: Double)?] = []
    }

    var title: String
    var valueLabel: String
    var categories: [String]
    var groups: [Group]

    func svg() -> String {
        let all = groups.flatMap { g in g.values.compactMap { $0 } + g.ranges.compactMap { $0 }.flatMap { [$0.low, $0.high] } }
        var f = PlotFrame(title: title, xLabel: "", yLabel: valueLabel, xs: [0, 1], ys: all, yZero: true,
                          legendRows: groups.count > 1 ? (groups.count + 2) / 3 : 0, width: max(420, min(760, 140 + Double(categories.count * groups.count) * 40)),
                          height: 320)
        f.svg.text(title, x: f.left, y: 20, size: 13, weight: "bold")
        for t in f.y.ticks(5) {
            f.svg.line(f.plotLeft, f.y(t), f.plotRight, f.y(t), stroke: Palette.grid)
            f.svg.text(AxisScale.label(t), x: f.plotLeft - 6, y: f.y(t) + 4, anchor: "end", size: 10)
        }
        f.svg.text(valueLabel, x: 16, y: (f.plotTop + f.plotBottom) / 2, anchor: "middle", size: 11, rotate: -90)
        let slot = (f.plotRight - f.plotLeft) / Double(max(1, categories.count))
        let bar = min(46, slot * 0.8 / Double(max(1, groups.count)))
        let base = f.y(max(0, f.y.low))
        for (c, name) in categories.enumerated() {
            let cx = f.plotLeft + slot * (Double(c) + 0.5)
            f.svg.text(PlotFrame.clip(name, to: Int(slot / 6.5)), x: cx, y: f.plotBottom + 16, anchor: "middle", size: 10)
            for (g, group) in groups.enumerated() {
                let x0 = cx - bar * Double(groups.count) / 2 + bar * Double(g)
                guard c < group.values.count, let v = group.values[c] else { continue }
                f.svg.rect(x0 + 2, min(base, f.y(v)), bar - 4, abs(base - f.y(v)), fill: Palette.color(g),
                           tooltip: "\(name) · \(group.label): \(AxisScale.label(v))")
                if c < group.ranges.count, let r = group.ranges[c] {
                    let mid = x0 + bar / 2
                    f.svg.line(mid, f.y(r.low), mid, f.y(r.high), stroke: Palette.ink, width: 1.2)
                    f.svg.line(mid - 4, f.y(r.low), mid + 4, f.y(r.low), stroke: Palette.ink)
                    f.svg.line(mid - 4, f.y(r.high), mid + 4, f.y(r.high), stroke: Palette.ink)
                }
            }
        }
        f.svg.rect(f.plotLeft, f.plotTop, f.plotRight - f.plotLeft, f.plotBottom - f.plotTop, fill: "none", stroke: "#9a9a9a")
        if groups.count > 1 { f.drawLegend(groups.enumerated().map { ($1.label, Palette.color($0), MarkerShape.square) }) }
        return f.document(description: "\(valueLabel) for \(categories.count) categories")
    }
}
