// libFuzzer harness: FASTA + .fai. Input = FASTA bytes, optionally followed by "\0FAI\0" and
// .fai text. Exercises FastaIndex.build / parse / validate, Genome(path:) (plain: mmap + index;
// gzip: FastaStream) and Genome.letters(of:) over every sequence.
import Foundation

let dir = "/tmp/sigtfb-fuzz-\(getpid())"
let faPath = dir + "/g.fa"
let faiPath = dir + "/g.fa.fai"
let marker: [UInt8] = [0, 70, 65, 73, 0]  // "\0FAI\0"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFasta(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let all = Array(UnsafeBufferPointer(start: data, count: size))
    var fasta = all, fai: [UInt8]? = nil
    if size >= 5 {
        for i in 0...(size - 5) where Array(all[i..<(i + 5)]) == marker {
            fasta = Array(all[..<i]); fai = Array(all[(i + 5)...]); break
        }
    }
    func check(_ body: () throws -> Void) {
        do { try body() } catch let e as GenomicsError {
            precondition(!e.description.isEmpty && !e.description.contains("\n"), "multi-line or empty message")
        } catch { fatalError("unexpected error type \(type(of: error)): \(error)") }
    }
    // In memory.
    check { _ = try fasta.withUnsafeBufferPointer { try FastaIndex.build($0, path: "fuzz.fa") } }
    if let fai {
        check {
            let idx = try FastaIndex.parse(fai, path: "fuzz.fa.fai")
            try fasta.withUnsafeBufferPointer { try idx.validate(against: $0, fastaPath: "fuzz.fa", indexPath: "fuzz.fa.fai") }
        }
    }
    // Through files, as the CLI reads a genome.
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    unlink(faiPath)
    FileManager.default.createFile(atPath: faPath, contents: Data(fasta))
    if let fai { FileManager.default.createFile(atPath: faiPath, contents: Data(fai)) }
    check {
        let g = try Genome(path: faPath)
        var regions = [GenomeRegion]()
        for (c, len) in g.lengths.enumerated() where len <= 1 << 20 {
            regions.append(GenomeRegion(chrom: c, start: 0, end: len, strand: .plus))
            if len > 2 { regions.append(GenomeRegion(chrom: c, start: 1, end: len - 1, strand: .minus)) }
        }
        _ = try g.letters(of: regions)
    }
    return 0
}
