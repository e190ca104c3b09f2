// libFuzzer harness: safetensors reader (8-byte header length + JSON header + data).
import Foundation

let path = "/tmp/sigtfb-fuzz-\(getpid()).safetensors"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FileManager.default.createFile(atPath: path, contents: Data(UnsafeBufferPointer(start: data, count: size)))
    do {
        _ = try Safetensors.read(path: path)
    } catch let e as StorageError {
        precondition(!e.description.contains("\n"), "multi-line message")
    } catch {
        fatalError("unexpected error type \(type(of: error)): \(error)")
    }
    return 0
}
