import ArgumentParser
import Foundation
import Tuning

/// Bayesian optimisation of hyperparameters with a persistent ask/tell state file.
///
/// One process asks, many run trials, results are told back; every change is saved atomically to
/// the state file, so a killed process resumes exactly where it was.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Bayesian optimisation (Sobol start, GP + LogEI) with a resumable ask/tell state file.",
        subcommands: [Init.self, Ask.self, Tell.self, Fail.self, Best.self, Table.self])

    /// Runs `body` under `CLI.guarded`: a Tuning error is a one-line message with exit code 1 (data
    /// error), or 2 for a request that does not fit the state (usage error).
    static func run(_ body: () throws -> Void) throws {
        try CLI.guarded {
            do { try body() } catch let e as TuningError {
                if case .invalidRequest = e { throw CLIError.usage(e.description) }
                throw CLIError.data(e.description)
            }
        }
    }

    /// A usage error (exit 2, one line).
    static func usageError(_ message: String) -> ValidationError { ValidationError(message) }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try enc.encode(value), as: UTF8.self))
    }

    /// Creates a new state file from a search space.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tuner state file from a search space (Ax parameter dictionaries).")

        /// Search space JSON: a list of Ax parameter dictionaries, or an object with a "parameters" list.
        @Option(name: .long, help: "Search space JSON (Ax parameter dictionaries, or {\"parameters\": [...]}).")
        var space: String

        /// State file to create.
        @Option(name: .long, help: "State file to create (JSON).")
        var state: String

        @Option(name: .long, help: "Seed of every random choice (default 0).")
        var seed: UInt64 = 0

        @Flag(help: "Whether to minimise (default) or maximise the objective.")
        var direction: Direction = .minimize

        /// Size of the initial design: a number, `auto` (our default) or `ax` (Ax's max(5, 2·d) Sobol trials).
        @Option(name: .long, help: "Initial design size: N, 'auto' (default: centre + Sobol, max(3, min(d, 5))) or 'ax' (max(5, 2d) Sobol, no centre).")
        var initialTrials: String = "auto"

        @Flag(name: .long, help: "Do not start with the centre of the space (pure scrambled Sobol initial design).")
        var noCenterPoint = false

        @Flag(name: .long, help: "Overwrite an existing state file.")
        var force = false

        func run() throws {
            try TuneCommand.run {
                let url = URL(fileURLWithPath: state)
                if FileManager.default.fileExists(atPath: url.path) && !force {
                    throw TuneCommand.usageError("\(state) already exists (use --force to overwrite)")
                }
                let sp = try SearchSpace.load(from: URL(fileURLWithPath: space))
                var k: Int? = nil
                var center = !noCenterPoint
                switch initialTrials {
                case "auto": k = nil
                case "ax": k = Tuner.axInitialTrials(for: sp); center = false
                default:
                    guard let n = Int(initialTrials), n >= 1 else {
                        throw TuneCommand.usageError("--initial-trials must be a positive integer, 'auto' or 'ax' (got '\(initialTrials)')")
                    }
                    k = n
                }
                let t = try Tuner(space: sp, seed: seed, direction: direction, initialTrials: k, centerPoint: center, stateURL: url)
                FileHandle.standardError.write(Data("created \(state): \(sp.parameters.count) parameters, \(t.initialTrials) initial trials, seed \(seed)\n".utf8))
            }
        }
    }

    /// Suggests new trials and prints them as JSON.
    struct Ask: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suggest trials; prints a JSON list of {trial_index, parameters, method}.")
        @Option(name: .long, help: "State file.") var state: String
        @Option(name: .long, help: "Number of trials to suggest (run in parallel).") var count: Int = 1

        struct Suggestion: Encodable {
            let trial_index: Int
            let parameters: [String: ParameterValue]
            let method: String
        }

        func run() throws {
            guard count >= 1 else { throw TuneCommand.usageError("--count must be at least 1 (got \(count))") }
            try TuneCommand.run {
                let trials = try Tuner.withLockedState(URL(fileURLWithPath: state)) { try $0.ask(count: count) }
                try TuneCommand.printJSON(trials.map { Suggestion(trial_index: $0.index, parameters: $0.parameters, method: $0.method.rawValue) })
            }
        }
    }

    /// Reports the objective value of a trial (NaN/Inf marks it failed).
    struct Tell: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Report a trial's objective value (NaN/Inf = failed).")
        @Option(name: .long, help: "State file.") var state: String
        @Option(name: .long, help: "Trial index.") var trial: Int
        @Option(name: .long, help: "Objective value.") var value: Double

        func run() throws {
            try TuneCommand.run {
                try Tuner.withLockedState(URL(fileURLWithPath: state)) { try $0.tell(trial: trial, value: value) }
            }
        }
    }

    /// Marks a trial failed.
    struct Fail: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a trial failed; it is never suggested again.")
        @Option(name: .long, help: "State file.") var state: String
        @Option(name: .long, help: "Trial index.") var trial: Int
        @Option(name: .long, help: "Why it failed (stored in the state).") var reason: String = "failed"

        func run() throws {
            try TuneCommand.run {
                try Tuner.withLockedState(URL(fileURLWithPath: state)) { try $0.fail(trial: trial, reason: reason) }
            }
        }
    }

    /// Prints the best observed trial and the model's predicted best as JSON.
    struct Best: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the best observed trial and the model's predicted best (JSON).")
        @Option(name: .long, help: "State file.") var state: String

        struct Observed: Encodable {
            let trial_index: Int
            let parameters: [String: ParameterValue]
            let value: Double
        }
        struct Output: Encodable {
            let observed: Observed
            let predicted: BestResult.Prediction?
        }

        func run() throws {
            try TuneCommand.run {
                let tuner = try Tuner.resume(stateURL: URL(fileURLWithPath: state))
                guard let b = try tuner.best() else {
                    throw TuningError.invalidRequest("\(state): no completed trial yet")
                }
                try TuneCommand.printJSON(Output(
                    observed: Observed(trial_index: b.observed.index, parameters: b.observed.parameters, value: b.observed.value!),
                    predicted: b.predicted))
            }
        }
    }

    /// Prints all trials as CSV.
    struct Table: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print all trials as CSV: trial_index, parameters..., value, status, method.")
        @Option(name: .long, help: "State file.") var state: String

        func run() throws {
            try TuneCommand.run {
                print(try Tuner.resume(stateURL: URL(fileURLWithPath: state)).csvTable(), terminator: "")
            }
        }
    }
}

extension Direction: EnumerableFlag {}
