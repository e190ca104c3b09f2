import ArgumentParser
import Foundation
import NeuralNet
import SigTFB

/// A failure of the data (exit 1) or of the usage (exit 2), with a one-line message.
enum CLIError: Error, CustomStringConvertible {
    case data(String)
    case usage(String)
    var description: String {
        switch self {
        case .data(let m), .usage(let m): return m
        }
    }
}

/// Shared behaviour of the commands: one-line errors with the right exit code, progress on stderr.
enum CLI {
    /// Runs `body`; any error becomes `sigtfb: error: <message>` on stderr and exit code 1
    /// (2 for usage errors). No stack traces.
    ///
    /// With `interruptible` (the directory that holds the run's resumable state), SIGINT and SIGTERM
    /// stop the run at its next safe point (`Interruption`): one line on stderr, exit 130 (SIGINT) or
    /// 143 (SIGTERM); a second signal stops at once.
    static func guarded(interruptible stateDirectory: String? = nil, _ body: () throws -> Void) throws {
        if stateDirectory != nil {
            Interruption.install { sig in
                log("sigtfb: \(sig == SIGTERM ? "SIGTERM" : "interrupt") received; stopping at the next safe point (send it again to stop at once)")
            }
        }
        do {
            try body()
        } catch let e as Interrupted {
            log("sigtfb: interrupted; state saved in \(stateDirectory ?? ".") — rerun the same command to continue")
            throw ExitCode(e.exitStatus)
        } catch let e as ExitCode {
            throw e
        } catch let e as ValidationError {
            throw e
        } catch CLIError.usage(let m) {
            throw ValidationError(m)
        } catch {
            FileHandle.standardError.write(Data("sigtfb: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    static func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func summary(_ r: MultiLabelReport, title: String) -> String {
        func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "NaN" }
        var lines = ["\(title): macro AUROC \(f(r.macro.auroc))  AUPRC \(f(r.macro.auprc))  Hamming \(String(format: "%.4f", r.hammingScore))  exact \(String(format: "%.4f", r.exactMatch))  (n=\(r.count))"]
        for name in r.cellTypes {
            let c = r.perCellType[name]!
            lines.append("  \(name): AUROC \(f(c.auroc))  AUPRC \(f(c.auprc))  (\(c.positives)+ / \(c.negatives)-)")
        }
        return lines.joined(separator: "\n")
    }
}

extension MultiLabelLoss: ExpressibleByArgument {}
extension Stage1Hyperparameters.SamplerKind: ExpressibleByArgument {}
