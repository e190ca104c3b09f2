import Foundation

/// JSON decoding that checks the text before `JSONDecoder` sees it.
///
/// Why: the `JSONDecoder` shipped with older Swift toolchains (seen with Debian's Swift 6.0.3, on
/// x86-64 and arm64) traps on an internal `try!` for some malformed text — an object key with a raw
/// control character, bytes that are not UTF-8 — where 6.3 throws. A damaged or hand-edited state
/// file must give a one-line error, never a crash, on every toolchain the package builds with. So
/// the bytes must be UTF-8 (RFC 8259 requires it between programs) and parse with
/// `JSONSerialization` (a separate parser that throws) before they are decoded.
public enum UTF8JSON {
    /// Decodes `type` from `data` with `decoder`. Bytes that are not UTF-8, or not JSON, throw
    /// `DecodingError.dataCorrupted` with an empty coding path, like any other unparsable text.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data,
                                            decoder: JSONDecoder = JSONDecoder()) throws -> T {
        guard isUTF8(data) else { throw corrupted("The data is not UTF-8 text.") }
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw corrupted("The data is not valid JSON.")
        }
        return try decoder.decode(type, from: data)
    }

    /// Whether `data` is well-formed UTF-8 (overlong forms, surrogates and truncated sequences are not).
    public static func isUTF8(_ data: Data) -> Bool {
        String(validating: data, as: UTF8.self) != nil
    }

    static func corrupted(_ why: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: why))
    }
}
