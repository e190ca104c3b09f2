import Foundation

/// JSON decoding that checks the bytes are UTF-8 before Foundation parses them.
///
/// Why: RFC 8259 requires UTF-8 for JSON exchanged between programs, and the Foundation shipped
/// with older Swift toolchains (seen with Debian's Swift 6.0.3) traps on an internal `try!` when
/// handed bytes that are not UTF-8, where 6.3 throws. A damaged or hand-edited state file must give
/// a one-line error, never a crash, on every toolchain the package builds with.
public enum UTF8JSON {
    /// Decodes `type` from `data` with `decoder`; bytes that are not UTF-8 throw
    /// `DecodingError.dataCorrupted` with an empty coding path, like any other unparsable text.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data,
                                            decoder: JSONDecoder = JSONDecoder()) throws -> T {
        guard isUTF8(data) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "The data is not UTF-8 text."))
        }
        return try decoder.decode(type, from: data)
    }

    /// Whether `data` is well-formed UTF-8 (overlong forms, surrogates and truncated sequences are not).
    public static func isUTF8(_ data: Data) -> Bool {
        String(validating: data, as: UTF8.self) != nil
    }
}
