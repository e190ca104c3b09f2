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
