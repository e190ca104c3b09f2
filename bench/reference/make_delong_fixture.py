#!/usr/bin/env python3
"""Writes Tests/Fixtures/golden/delong_fixture.json: the paired DeLong test computed with a
direct O(m*n) implementation of DeLong, DeLong & Clarke-Pearson (1988) in numpy (the
structural components V10/V01 from the pairwise kernel psi(x, y) = 1[x > y] + 0.5*1[x == y]),
independent of the midrank algorithm (Sun & Xu 2014) used in Swift.

Cases (deterministic, np.random.RandomState(2024)):
  "small": 12 instances, hand-written, with ties within and across classes;
  "random": 60 instances, scores rounded to 1 decimal (many ties).
Each: labels [n] 0/1, scores_a [n], scores_b [n], auc_a, auc_b, var_a, var_b, cov_ab,
delta = auc_a - auc_b, var_delta, z = delta / sqrt(var_delta), p = 2*(1 - Phi(|z|)) two-sided.
AUCs are checked against sklearn.metrics.roc_auc_score.
"""
import json, math, os
import numpy as np
from scipy.stats import norm
from sklearn.metrics import roc_auc_score


def components(y, s):
    pos = s[y == 1]; neg = s[y == 0]
    psi = (pos[:, None] > neg[None, :]).astype(float) + 0.5 * (pos[:, None] == neg[None, :])
    return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)


def case(y, a, b):
    y = np.asarray(y); a = np.asarray(a, float); b = np.asarray(b, float)
    A, v10a, v01a = components(y, a)
    B, v10b, v01b = components(y, b)
    assert abs(A - roc_auc_score(y, a)) < 1e-12 and abs(B - roc_auc_score(y, b)) < 1e-12
    m, n = v10a.size, v01a.size
    S10 = np.cov(np.vstack([v10a, v10b]))  # unbiased (m-1)
    S01 = np.cov(np.vstack([v01a, v01b]))
    S = S10 / m + S01 / n
    var_delta = S[0, 0] + S[1, 1] - 2 * S[0, 1]
    z = (A - B) / math.sqrt(var_delta)
    return {"labels": [int(v) for v in y], "scores_a": a.tolist(), "scores_b": b.tolist(),
            "auc_a": A, "auc_b": B, "var_a": S[0, 0], "var_b": S[1, 1], "cov_ab": S[0, 1],
            "delta": A - B, "var_delta": var_delta, "z": z, "p": float(2 * norm.sf(abs(z)))}


rs = np.random.RandomState(2024)
small = case([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1],
             [0.9, 0.3, 0.7, 0.7, 0.5, 0.1, 0.4, 0.7, 0.8, 0.2, 0.5, 0.6],
             [0.6, 0.6, 0.5, 0.9, 0.4, 0.6, 0.2, 0.3, 0.7, 0.1, 0.6, 0.6])
y = (rs.rand(60) < 0.4).astype(int)
a = np.round(y * 0.8 + rs.randn(60) * 0.6, 1)
b = np.round(y * 0.4 + rs.randn(60) * 0.6, 1)
rand = case(y, a, b)
out = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "golden", "delong_fixture.json")
with open(out, "w") as f:
    json.dump({"small": small, "random": rand}, f, indent=1)
print(out, small["z"], small["p"], rand["z"], rand["p"])
