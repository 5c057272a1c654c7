import Foundation
import Plot

/// A report as one self-contained HTML page: inline CSS, inline SVG figures, a table of contents, tables that sort on
/// a click with inline script (and read fine without it). Nothing is fetched from anywhere.
public enum HTMLRenderer {
    public static func render(_ doc: ReportDocument) -> String {
        let html = HTML(
            .lang(.english),
            .head(
                .meta(.charset(.utf8)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                .title(doc.title),
                .style(ReportStyle.css)
            ),
            .body(
                .header(
                    .h1(.text(doc.title)),
                    .if(!doc.facts.isEmpty, facts(doc.facts))
                ),
                .nav(
                    .h2(.text("Contents")),
                    .ol(.forEach(doc.sections) { s in .li(.a(.href("#\(s.id)"), .text(s.title))) })
                ),
                .main(.forEach(doc.sections) { section($0) }),
                .script(.raw(ReportStyle.sortScript))
            )
        )
        return html.render(indentedBy: nil)
    }

    static func facts(_ pairs: [(String, String)]) -> Node<HTML.BodyContext> {
        .dl(.class("facts"), .forEach(pairs.indices) { i in .group(.dt(.text(pairs[i].0)), .dd(.text(pairs[i].1))) })
    }

    static func section(_ s: ReportSection) -> Node<HTML.BodyContext> {
        .section(.id(s.id), .h2(.text(s.title)), .forEach(s.blocks) { block($0) })
    }

    static func block(_ b: ReportBlock) -> Node<HTML.BodyContext> {
        switch b {
        case let .paragraph(text): return .p(.text(text))
        case let .subheading(text): return .h3(.text(text))
        case let .list(items): return .ul(.forEach(items) { .li(.text($0)) })
        case let .facts(pairs): return facts(pairs)
        case let .figure(f):
            // Plot has no figure element: the same element by name, its children in the body context.
            return .element(named: "figure", nodes: [.id(f.id), .raw(f.svg), .element(named: "figcaption", text: f.caption)])
        case let .table(t): return table(t)
        }
    }

    static func table(_ t: ReportTable) -> Node<HTML.BodyContext> {
        .div(.class("table-wrap"),
             .table(.class(t.sortable ? "sortable" : "plain"),
                    .thead(.tr(.forEach(t.header) { .th(.attribute(named: "scope", value: "col"), .text($0)) })),
                    .tbody(.forEach(t.rows.indices) { i in
                        .tr(.if(t.highlighted.contains(i), .class("pick")),
                            .forEach(t.rows[i]) { cell in
                                .td(.if(cell.sortKey != nil, .attribute(named: "data-sort", value: cell.sortKey.map(sortValue) ?? "")),
                                    .if(cell.sortKey != nil, .class("num")),
                                    .text(cell.text))
                            })
                    })))
    }

    static func sortValue(_ v: Double) -> String { v.isFinite ? String(v) : (v > 0 ? "1e308" : "-1e308") }
}
