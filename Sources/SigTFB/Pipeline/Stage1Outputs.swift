import Foundation
import Storage

/// Writes a stage-1 run's files: `model.safetensors` + `model.json`, `metrics.json`, `epochs.csv`.
public enum Stage1Outputs {
    public static func jsonEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .throw  // NaN never reaches a results file
        return e
    }

    /// `{"validation": report?, "test": report?}`.
    public static func writeMetrics(validation: MultiLabelReport?, test: MultiLabelReport?, to path: String) throws {
        struct Doc: Encodable {
            var validation: MultiLabelReport?
            var test: MultiLabelReport?
        }
        try AtomicFile.write(try jsonEncoder().encode(Doc(validation: validation, test: test)), to: path)
    }

    public static func writeEpochs(_ records: [EpochRecord], to path: String) throws {
        func f(_ x: Double?) -> String { x.map { String(format: "%.6f", $0) } ?? "" }
        var csv = "epoch,train_loss,validation_loss,validation_auroc,validation_auprc,seconds\n"
        for r in records {
            csv += "\(r.epoch),\(f(r.trainLoss)),\(f(r.validationLoss)),\(f(r.validationAUROC)),\(f(r.validationAUPRC)),\(String(format: "%.3f", r.seconds))\n"
        }
        try AtomicFile.write(csv, to: path)
    }
}
