/// Text escaping for the XML/HTML this project writes (SVG logos, the HTML report).
public enum XMLText {
    /// Escapes `& < > " '` for element text and attribute values. `'` becomes the numeric
    /// reference `&#39;`, valid in both XML and HTML.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
