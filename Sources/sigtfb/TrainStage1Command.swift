import ArgumentParser
import SigTFB

/// Placeholder replaced below in this session.
struct TrainStage1Command: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train-stage1")
}
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate")
}
