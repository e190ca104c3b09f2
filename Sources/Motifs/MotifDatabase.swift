import Foundation

/// A database of known motifs (a MEME file), with the bundled JASPAR 2024 CORE vertebrates
/// (non-redundant, 879 matrices, CC BY 4.0) as the default.
public struct MotifDatabase: Sendable {
    /// Path of the bundled database below a data directory.
    public static let defaultRelativePath = "jaspar/JASPAR2024_CORE_vertebrates_non-redundant.meme"
    /// Environment variable naming a data directory searched first.
    public static let dataDirectoryVariable = "SIGTFB_DATA_DIR"

    /// Where the motifs came from.
    public let url: URL?
    /// The motifs, in file order.
    public let motifs: [PWM]

    public init(motifs: [PWM], url: URL? = nil) {
        self.motifs = motifs
        self.url = url
    }

    /// Reads a MEME-format database.
    public init(contentsOf url: URL) throws {
        let file = try MEMEFile(contentsOf: url)
        self.init(motifs: file.motifs, url: url)
    }

    /// Number of motifs.
    public var count: Int { motifs.count }

    /// The motif with identifier `id`, if any.
    public func motif(id: String) -> PWM? { motifs.first { $0.id == id } }

    /// Candidate locations of the bundled JASPAR file, in search order:
    /// 1. `$SIGTFB_DATA_DIR/jaspar/…`,
    /// 2. `<directory of the executable>/../share/sigtfb/jaspar/…` (an installed sigtfb),
    /// 3. `data/jaspar/…` in the source tree (found relative to this source file).
    public static func defaultCandidates(executableURL: URL? = nil,
                                         environment: [String: String] = ProcessInfo.processInfo.environment,
                                         sourceFilePath: String = #filePath) -> [URL] {
        var out: [URL] = []
        if let dir = environment[dataDirectoryVariable], !dir.isEmpty {
            out.append(URL(fileURLWithPath: dir).appendingPathComponent(defaultRelativePath))
        }
        let exe = executableURL ?? Bundle.main.executableURL
            ?? CommandLine.arguments.first.map { URL(fileURLWithPath: $0) }
        if let exe = exe {
            out.append(exe.resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent("../share/sigtfb").appendingPathComponent(defaultRelativePath)
                .standardizedFileURL)
        }
        // Sources/Motifs/MotifDatabase.swift -> package root -> data/
        let root = URL(fileURLWithPath: sourceFilePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        out.append(root.appendingPathComponent("data").appendingPathComponent(defaultRelativePath))
        return out
    }

    /// The first existing candidate of `defaultCandidates`, or `nil`.
    public static func defaultURL(executableURL: URL? = nil,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        defaultCandidates(executableURL: executableURL, environment: environment)
            .first { FileManager.default.isReadableFile(atPath: $0.path) }
    }

    /// Loads the bundled JASPAR database; the error lists the places searched.
    public static func loadDefault(executableURL: URL? = nil,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MotifDatabase {
        guard let url = defaultURL(executableURL: executableURL, environment: environment) else {
            let searched = defaultCandidates(executableURL: executableURL, environment: environment).map(\.path)
            throw MEMEFormatError(file: defaultRelativePath, line: 0,
                                  message: "bundled motif database not found; searched: \(searched.joined(separator: ", ")); set \(dataDirectoryVariable) or pass --motif-db")
        }
        return try MotifDatabase(contentsOf: url)
    }
}
