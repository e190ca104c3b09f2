// libFuzzer harness: BED/narrowPeak parser (bytes in memory; odd first byte: through a file and
// ByteSource.readAll, so gzip input is exercised too).
import Foundation

let tmpPath = "/tmp/sigtfb-fuzz-\(getpid())-peaks.bed"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPeaks(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let mode = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var names = ChromosomeNames()
    do {
        if mode & 1 == 1 {
            FileManager.default.createFile(atPath: tmpPath, contents: Data(bytes))
            _ = try PeakFileParser.parse(path: tmpPath, names: &names, readSummit: mode & 2 == 2)
        } else {
            _ = try PeakFileParser.parse(bytes, path: "fuzz.bed", names: &names, readSummit: mode & 2 == 2)
        }
    } catch let e as GenomicsError {
        precondition(!e.description.isEmpty && !e.description.contains("\n"), "multi-line or empty message")
    } catch {
        fatalError("unexpected error type \(type(of: error)): \(error)")
    }
    return 0
}
