// libFuzzer harness: tuner JSON (search space and resumable state). First byte picks the parser.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTuning(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let json = Data(UnsafeBufferPointer(start: data + 1, count: size - 1))
    do {
        if data[0] & 1 == 0 {
            let space = try SearchSpace.parse(json, source: "fuzz-space.json")
            // A parsed space must encode and parse back.
            _ = try SearchSpace.parse(try JSONEncoder().encode(space), source: "roundtrip")
        } else {
            let t = try Tuner.restore(stateJSON: json)
            _ = try Tuner.restore(stateJSON: try t.stateJSON())
            _ = t.csvTable()
        }
    } catch let e as TuningError {
        precondition(!e.description.contains("\n"), "multi-line message")
    } catch {
        fatalError("unexpected error type \(type(of: error)): \(error)")
    }
    return 0
}
