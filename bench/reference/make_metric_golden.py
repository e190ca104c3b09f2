#!/usr/bin/env python3
"""Writes Tests/Fixtures/golden/metrics_golden.json (scikit-learn reference values).

Format
------
{"binary": [ {"name": str, "labels": [0/1 ints], "scores": [floats],
              "auroc": sklearn.metrics.roc_auc_score(labels, scores),
              "auprc": sklearn.metrics.average_precision_score(labels, scores)} ...],
   every binary case contains both classes.  average_precision_score is the
   step-wise AP = sum_k (R_k - R_{k-1}) P_k over distinct score thresholds
   (tied scores form one threshold; no interpolation).  AUROC counts ties as 1/2.
 "single_class": [ {"name", "labels", "scores", "auroc_modified"} ...]
   the original's roc_auc_score_modified fallback when a column holds only one
   class: accuracy_score(labels, np.rint(scores)) -- np.rint rounds half to even
   (0.5 -> 0, 1.5 -> 2, -0.5 -> -0).  (sklearn's roc_auc_score raises here.)
 "multilabel": {
   "threshold": 0.5, "strict": true,      # pred = score > 0.5 (original: sigmoid(o).gt(0.5));
                                          # scores are probabilities, some exactly 0.5 -> 0
   "labels": [n][N] 0/1, "scores": [n][N], "predictions": [n][N] 0/1,
   "hamming_score": mean over rows of |true & pred| / |true | pred|, a row with
        both sets empty counts 1 (utils/evaluationMetrics.hamming_score),
   "exact_match": sklearn accuracy_score(labels, pred) (subset accuracy),
   "hamming_loss": sklearn hamming_loss (fraction of wrong label entries),
   "accuracy_per_cell_type": [N] fraction correct per column,
   "accuracy_micro": correct entries / all entries (= 1 - hamming_loss; this is
        what the original's accuracy_eval computes from TP/TN/FP/FN counts),
   "accuracy_macro": mean of accuracy_per_cell_type,
   "precision_macro", "recall_macro", "f1_macro": sklearn *_score(average='macro',
        zero_division=0) -- per-column value then unweighted mean,
   "precision_micro", "recall_micro", "f1_micro": sklearn average='micro'
        (pooled TP/FP/FN over all entries),
   "precision_per_cell_type", "recall_per_cell_type", "f1_per_cell_type": [N]
        (average=None, zero_division=0),
   "auroc_per_cell_type", "auprc_per_cell_type": [N] sklearn on the scores,
   "auroc_macro", "auprc_macro": their means}}
Column 2 of the multilabel case is chosen so that it has no predicted positives
(zero_division path for its precision).
"""
import json
import os
import sys

import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score, f1_score, hamming_loss,
                             precision_score, recall_score, roc_auc_score)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sigtfb_reference import hamming_score, roc_auc_score_modified  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "Tests", "Fixtures", "golden", "metrics_golden.json")


def case(name, labels, scores):
    labels = [int(v) for v in labels]
    scores = [float(v) for v in scores]
    return {"name": name, "labels": labels, "scores": scores,
            "auroc": float(roc_auc_score(labels, scores)),
            "auprc": float(average_precision_score(labels, scores))}


def main():
    rng = np.random.RandomState(7)
    binary = [
        case("tiny_correct", [0, 1], [0.1, 0.9]),
        case("tiny_reversed", [0, 1], [0.9, 0.1]),
        case("tiny_tied", [1, 0], [0.5, 0.5]),
        case("all_same_score", [1, 0, 0, 1, 1, 0, 1], [0.3] * 7),
        case("many_ties_small", [1, 0, 1, 1, 0, 0, 1, 0, 1, 0],
             [0.8, 0.8, 0.6, 0.6, 0.6, 0.2, 0.2, 0.2, 0.9, 0.1]),
        case("negative_logits_ties", [0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1],
             [-2.0, 1.5, 0.0, 0.0, 1.5, -2.0, 3.0, 0.0, -1.0, 1.5, -1.0, 3.0]),
        case("one_positive", [0, 0, 0, 1, 0, 0], [0.2, 0.4, 0.4, 0.4, 0.1, 0.9]),
        case("one_negative", [1, 1, 0, 1, 1], [0.7, 0.3, 0.5, 0.5, 0.9]),
    ]
    n = 500
    y = (rng.rand(n) < 0.35).astype(int)
    s = np.clip(0.5 + 0.18 * (y - 0.35) + rng.normal(0, 0.2, n), 0, 1)
    binary.append(case("realistic_500_rounded", y, np.round(s, 2)))
    y2 = (rng.rand(n) < 0.6).astype(int)
    s2 = np.round(rng.normal(0.4 * y2, 1.0), 1)
    binary.append(case("realistic_500_logits_1dp", y2, s2))

    single = []
    for name, lab, sc in [("all_positive", [1, 1, 1, 1], [0.2, 0.5, 0.7, 1.5]),
                          ("all_negative", [0, 0, 0, 0, 0], [0.1, 0.5, 0.51, -0.4, 0.49])]:
        single.append({"name": name, "labels": lab, "scores": sc,
                       "auroc_modified": roc_auc_score_modified(lab, sc)})

    # multilabel
    n, N = 40, 4
    Y = (rng.rand(n, N) < np.array([0.5, 0.3, 0.4, 0.6])).astype(int)
    S = np.clip(0.5 + 0.25 * (Y - 0.5) + rng.normal(0, 0.2, (n, N)), 0.0, 1.0)
    S = np.round(S, 2)
    S[:, 2] = np.round(np.minimum(S[:, 2], 0.5) * 0.9, 2)       # no predicted positives in column 2
    S[0, :] = [0.5, 0.5, 0.2, 0.5]                               # exactly 0.5 -> predicted 0
    Y[1, :] = 0
    S[1, :] = [0.1, 0.2, 0.3, 0.4]                               # empty/empty row -> counts 1
    Y[2, :] = [1, 1, 0, 1]
    S[2, :] = [0.9, 0.8, 0.1, 0.7]
    P = (S > 0.5).astype(int)
    ml = {"threshold": 0.5, "strict": True,
          "labels": Y.tolist(), "scores": [[float(v) for v in r] for r in S],
          "predictions": P.tolist(),
          "hamming_score": hamming_score(Y, P),
          "exact_match": float(accuracy_score(Y, P)),
          "hamming_loss": float(hamming_loss(Y, P)),
          "accuracy_per_cell_type": [float((Y[:, c] == P[:, c]).mean()) for c in range(N)],
          "accuracy_micro": float((Y == P).mean()),
          "accuracy_macro": float(np.mean([(Y[:, c] == P[:, c]).mean() for c in range(N)]))}
    for avg in ("macro", "micro"):
        ml[f"precision_{avg}"] = float(precision_score(Y, P, average=avg, zero_division=0))
        ml[f"recall_{avg}"] = float(recall_score(Y, P, average=avg, zero_division=0))
        ml[f"f1_{avg}"] = float(f1_score(Y, P, average=avg, zero_division=0))
    ml["precision_per_cell_type"] = [float(v) for v in precision_score(Y, P, average=None, zero_division=0)]
    ml["recall_per_cell_type"] = [float(v) for v in recall_score(Y, P, average=None, zero_division=0)]
    ml["f1_per_cell_type"] = [float(v) for v in f1_score(Y, P, average=None, zero_division=0)]
    ml["auroc_per_cell_type"] = [float(roc_auc_score(Y[:, c], S[:, c])) for c in range(N)]
    ml["auprc_per_cell_type"] = [float(average_precision_score(Y[:, c], S[:, c])) for c in range(N)]
    ml["auroc_macro"] = float(np.mean(ml["auroc_per_cell_type"]))
    ml["auprc_macro"] = float(np.mean(ml["auprc_per_cell_type"]))

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"binary": binary, "single_class": single, "multilabel": ml}, f,
                  separators=(",", ":"))
        f.write("\n")
    print(OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
