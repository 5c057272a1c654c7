import Foundation

/// SVG markup as text: elements with escaped attributes and text, coordinates with one decimal. A plot appends its
/// marks here; `document` wraps them with the size, a title and a description for screen readers.
struct SVGMarkup {
    private(set) var parts: [String] = []

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A coordinate or length: one decimal, no trailing ".0".
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
    }

    /// `<name attrs>text</name>`, or a self-closed element without text; `tooltip` adds a `<title>` child.
    mutating func element(_ name: String, _ attributes: [(String, String)], text: String? = nil, tooltip: String? = nil) {
        let attrs = attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined()
        if text == nil, tooltip == nil {
            parts.append("<\(name)\(attrs)/>")
        } else {
            parts.append("<\(name)\(attrs)>\(tooltip.map { "<title>\(Self.escape($0))</title>" } ?? "")\(text.map(Self.escape) ?? "")</\(name)>")
        }
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        var a: [(String, String)] = [("x1", Self.number(x1)), ("y1", Self.number(y1)), ("x2", Self.number(x2)), ("y2", Self.number(y2)),
                                     ("stroke", stroke), ("stroke-width", Self.number(width))]
        if let dash { a.append(("stroke-dasharray", dash)) }
        element("line", a)
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil, tooltip: String? = nil,
                       extra: [(String, String)] = []) {
        var a: [(String, String)] = [("x", Self.number(x)), ("y", Self.number(y)), ("width", Self.number(max(0, w))), ("height", Self.number(max(0, h))),
                                     ("fill", fill)]
        if let stroke { a.append(("stroke", stroke)) }
        element("rect", a + extra, tooltip: tooltip)
    }

    /// Text at (x, y); `anchor` start/middle/end; `rotate` degrees about the point.
    mutating func text(_ s: String, x: Double, y: Double, anchor: String = "start", size: Double = 11, weight: String? = nil,
                       rotate: Double? = nil, fill: String = Palette.ink, baseline: String? = nil) {
        var a: [(String, String)] = [("x", Self.number(x)), ("y", Self.number(y)), ("font-size", Self.number(size)), ("text-anchor", anchor),
                                     ("fill", fill)]
        if let weight { a.append(("font-weight", weight)) }
        if let baseline { a.append(("dominant-baseline", baseline)) }
        if let rotate { a.append(("transform", "rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))")) }
        element("text", a, text: s)
    }

    /// An open polyline through `points`.
    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil, fill: String = "none") {
        guard !points.isEmpty else { return }
        var a: [(String, String)] = [("points", points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")),
                                     ("fill", fill), ("stroke", stroke), ("stroke-width", Self.number(width)), ("stroke-linejoin", "round")]
        if let dash { a.append(("stroke-dasharray", dash)) }
        element("polyline", a)
    }

    mutating func raw(_ markup: String) { parts.append(markup) }

    /// The standalone SVG: `width` × `height` user units scaled to the container's width, text selectable.
    func document(width: Double, height: Double, title: String, description: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Self.number(width)) \(Self.number(height))" width="\(Self.number(width))" \
        height="\(Self.number(height))" role="img" aria-labelledby="t d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" class="plot">\
        <title id="t">\(Self.escape(title))</title><desc id="d">\(Self.escape(description))</desc>\
        <rect x="0" y="0" width="\(Self.number(width))" height="\(Self.number(height))" fill="#ffffff"/>\
        \(parts.joined())</svg>
        """
    }
}
