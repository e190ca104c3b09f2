import Foundation

/// A malformed MEME motif file: which file, which line (1-based; 0 when the problem concerns
/// the whole file), and what is wrong.
public struct MEMEFormatError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file name or path as given to the parser (`<string>` for text parsed from memory).
    public let file: String
    /// 1-based line number; 0 for problems with the file as a whole.
    public let line: Int
    /// What is wrong.
    public let message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }

    public var errorDescription: String? { description }
}
