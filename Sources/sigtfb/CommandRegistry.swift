import ArgumentParser

/// Every subcommand, one file each. Add new commands here.
enum CommandRegistry {
    static let all: [ParsableCommand.Type] = [
        TrainStage1Command.self,
        EvaluateCommand.self,
        BenchCommand.self,
        PredictCommand.self,
        TuneCommand.self,
        PreprocessCommand.self,
        MotifsCommand.self,
        ISMCommand.self,
        Stage1PipelineCommand.self,
        Stage2PipelineCommand.self,
        ReportCommand.self,
        RunCommand.self,
    ]
}
