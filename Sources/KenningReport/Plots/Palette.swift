/// Colours that stay apart for the common colour-vision deficiencies (Okabe and Ito's eight, black last), with a
/// marker shape per series so no figure relies on colour alone; a sequential single-hue ramp for heat maps.
enum Palette {
    static let series = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
    static let ink = "#222222"
    static let grid = "#e3e3e3"
    static let muted = "#8a8a8a"
    static let pick = "#D55E00"

    static func color(_ i: Int) -> String { series[((i % series.count) + series.count) % series.count] }

    /// A blue ramp from white (0) to dark blue (1): light-to-dark, readable in greyscale.
    static func sequential(_ t: Double) -> String {
        let x = max(0, min(1, t.isFinite ? t : 0))
        let from = (247.0, 251.0, 255.0), to = (8.0, 48.0, 107.0)
        func mix(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * x).rounded()) }
        return String(format: "#%02x%02x%02x", mix(from.0, to.0), mix(from.1, to.1), mix(from.2, to.2))
    }

    /// Ink that reads on `sequential(t)`.
    static func inkOn(_ t: Double) -> String { t > 0.55 ? "#ffffff" : ink }
}
