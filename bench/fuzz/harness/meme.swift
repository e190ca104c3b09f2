// libFuzzer harness: MEME minimal motif format parser.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMEME(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let f = try MEMEFile(text: text, fileName: "fuzz.meme")
        // A parsed file must write and read back.
        _ = try MEMEFile(text: f.text(), fileName: "roundtrip.meme")
    } catch let e as MEMEFormatError {
        precondition(!e.description.contains("\n"), "multi-line message")
    } catch {
        fatalError("unexpected error type \(type(of: error)): \(error)")
    }
    return 0
}
