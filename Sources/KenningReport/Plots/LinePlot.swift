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
            var pts = s.points.map { (f.x($0.x), f.y($0.y)) }
            if s.step, pts.count > 1 {
                var stepped = [pts[0]]
                for p in pts.dropFirst() { stepped.append((p.0, stepped.last!.1)); stepped.append(p) }
                pts = stepped
            }
            // Long series are thinned to about two points per pixel column.
            if pts.count > 3000 {
                let keep = pts.count / 1500
                pts = pts.enumerated().filter { $0.offset % keep == 0 || $0.offset == pts.count - 1 }.map(\.element)
            }
            if s.line { f.svg.polyline(pts, stroke: Palette.color(i), width: 1.5, dash: i % 2 == 1 && series.count > 2 ? "5 2" : nil) }
            if s.markers {
                for p in s.points { MarkerShape.of(i).draw(into: &f.svg, x: f.x(p.x), y: f.y(p.y), r: 3.5, fill: Palette.color(i)) }
            }
        }
        if series.count > 1 { f.drawLegend(series.enumerated().map { ($1.label, Palette.color($0), $1.markers ? MarkerShape.of($0) : nil) }) }
        return f.document(description: "\(series.count) series of \(yLabel) against \(xLabel)")
    }
}
