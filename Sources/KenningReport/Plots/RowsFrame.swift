/// The frame of a plot with one row per distribution and the value axis along the bottom (box and violin plots):
/// the title, the vertical grid at round values, their labels and the axis label.
struct RowsFrame {
    let x: AxisScale
    let top: Double
    let bottom: Double

    /// A frame for `rows` rows of `rowHeight` from `top`, values drawn between `left` and `right`.
    init(values: [Double], rows: Int, rowHeight: Double, top: Double, left: Double, right: Double) {
        x = AxisScale(values: values, start: left, end: right, log: true, logSpan: 8)
        self.top = top
        bottom = top + Double(rows) * rowHeight
    }

    func draw(into svg: inout SVGMarkup, title: String, valueLabel: String) {
        svg.text(title, x: 12, y: 22, size: 13, weight: "bold")
        for t in x.ticks(6) {
            svg.line(x(t), top - 6, x(t), bottom, stroke: Palette.grid)
            svg.text(AxisScale.label(t), x: x(t), y: bottom + 15, anchor: "middle", size: 10)
        }
        svg.text(valueLabel + (x.log ? " (log scale)" : ""), x: (x.start + x.end) / 2, y: bottom + 34, anchor: "middle", size: 11)
    }
}
