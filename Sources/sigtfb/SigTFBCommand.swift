import ArgumentParser
import SigTFB

/// `sigtfb` — cell-type specific DNA signatures of transcription-factor binding.
@main
struct SigTFBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigtfb",
        abstract: "Find cell-type specific DNA signatures of TF binding from ChIP-seq peaks.",
        subcommands: CommandRegistry.all)
}
