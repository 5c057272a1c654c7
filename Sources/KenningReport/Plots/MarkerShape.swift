/// A series' marker: the second cue beside its colour.
enum MarkerShape: CaseIterable {
    case circle, square, triangle, diamond, cross

    static func of(_ i: Int) -> MarkerShape { allCases[((i % allCases.count) + allCases.count) % allCases.count] }

    /// The marker centred at (x, y) with radius `r`.
    func draw(into svg: inout SVGMarkup, x: Double, y: Double, r: Double, fill: String, stroke: String = "#ffffff", tooltip: String? = nil,
              opacity: Double = 0.85) {
        let n = SVGMarkup.number
        let common: [(String, String)] = [("fill", fill), ("fill-opacity", n(opacity)), ("stroke", stroke), ("stroke-width", "1")]
        switch self {
        case .circle:
            svg.element("circle", [("cx", n(x)), ("cy", n(y)), ("r", n(r))] + common, tooltip: tooltip)
        case .square:
            svg.element("rect", [("x", n(x - r * 0.9)), ("y", n(y - r * 0.9)), ("width", n(r * 1.8)), ("height", n(r * 1.8))] + common, tooltip: tooltip)
        case .triangle:
            svg.element("polygon", [("points", "\(n(x)),\(n(y - r * 1.1)) \(n(x - r)),\(n(y + r * 0.8)) \(n(x + r)),\(n(y + r * 0.8))")] + common,
                        tooltip: tooltip)
        case .diamond:
            svg.element("polygon", [("points", "\(n(x)),\(n(y - r * 1.2)) \(n(x + r)),\(n(y)) \(n(x)),\(n(y + r * 1.2)) \(n(x - r)),\(n(y))")] + common,
                        tooltip: tooltip)
        case .cross:
            let d = r * 0.8
            svg.element("path", [("d", "M\(n(x - d)) \(n(y - d))L\(n(x + d)) \(n(y + d))M\(n(x - d)) \(n(y + d))L\(n(x + d)) \(n(y - d))"),
                                 ("stroke", fill), ("stroke-width", "2.5"), ("fill", "none")], tooltip: tooltip)
        }
    }
}
