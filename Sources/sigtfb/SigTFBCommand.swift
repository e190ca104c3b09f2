import ArgumentParser
import Foundation
import SigTFB

/// `sigtfb` — cell-type specific DNA signatures of transcription-factor binding.
@main
struct SigTFBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigtfb",
        abstract: "Find cell-type specific DNA signatures of TF binding from ChIP-seq peaks.",
        version: SigTFBVersion.current,
        subcommands: CommandRegistry.all)

    /// Usage errors exit with 2 (ArgumentParser's default is 64), data errors with 1.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // One line: the message without ArgumentParser's usage block.
                let line = message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
                FileHandle.standardError.write(Data("sigtfb: error: \(line)\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
