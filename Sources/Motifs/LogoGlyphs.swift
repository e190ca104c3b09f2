/// Outlines of the letters A, C, G, T drawn in a 100 × 100 box (y down), so a logo can scale
/// each letter to any width and height without fonts (browsers' glyph metrics differ).
enum LogoGlyphs {
    /// SVG path data of letter `base` (0...3 = A, C, G, T); fill with `fill-rule="evenodd"`.
    static func path(_ base: Int) -> String {
        switch base {
        case 0: return a
        case 1: return c
        case 2: return g
        default: return t
        }
    }

    /// Classic logo colours: A green, C blue, G orange, T red.
    static let colors = ["#109648", "#255C99", "#F7B32B", "#D62839"]
    static let letters = ["A", "C", "G", "T"]

    // A: two legs and a crossbar, the counter cut out by the even-odd rule.
    static let a = "M0,100 L38,0 L62,0 L100,100 L77,100 L68,75 L32,75 L23,100 Z M39,57 L61,57 L50,25 Z"

    // C: a ring open to the right, ends cut along radii at ±40°.
    static let c = "M88.3,17.9 A50,50 0 1,0 88.3,82.1 L74.5,71.2 A32,32 0 1,1 74.5,28.8 Z"

    // G: the C ring with its lower end running into a bar at mid height.
    static let g = "M88.3,17.9 A50,50 0 1,0 100,55 L100,45 L58,45 L58,61 L80.8,61 A32,32 0 1,1 74.5,28.8 Z"

    // T: a bar and a stem.
    static let t = "M0,0 L100,0 L100,17 L59,17 L59,100 L41,100 L41,17 L0,17 Z"
}
