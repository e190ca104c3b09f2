/// A problem with the input data: a one-line message naming the file, the line (when there is
/// one) and what is wrong, e.g. `peaks/K562.bed:17: start (500) is not below end (400)`.
public struct GenomicsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file at fault, when there is one.
    public let file: String?
    /// 1-based line number, when the problem sits on one line.
    public let line: Int?
    /// What is wrong.
    public let message: String

    public init(file: String? = nil, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        switch (file, line) {
        case let (f?, l?): return "\(f):\(l): \(message)"
        case let (f?, nil): return "\(f): \(message)"
        default: return message
        }
    }
}

extension GenomicsError {
    /// `bytes` as they may appear inside a one-line message: printable ASCII as is, anything else
    /// (control characters, NUL, non-ASCII) as `\xNN`, at most `limit` bytes; with a hint when NUL
    /// bytes suggest a UTF-16 file.
    public static func shown<C: Collection>(_ bytes: C, limit: Int = 40) -> String where C.Element == UInt8 {
        var out = ""
        for b in bytes.prefix(limit) {
            if b >= 0x20 && b < 0x7F { out.append(Character(Unicode.Scalar(b))) } else { out += String(format: "\\x%02X", b) }
        }
        if bytes.count > limit { out += "…" }
        return out
    }

    /// A hint for a field that holds NUL bytes (a UTF-16 or binary file), else "".
    public static func encodingHint<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.contains(0) ? " (NUL bytes: is the file UTF-16 or binary? save it as plain ASCII/UTF-8 text)" : ""
    }
}
