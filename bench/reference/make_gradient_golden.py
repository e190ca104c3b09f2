"""Gradients of the stage-1 losses at the golden parameters, for a magnitude check.

Adam's first steps are nearly sign-only (m/sqrt(v) ~ +-1), so matching weights after three Adam
steps does not prove the gradient's magnitude. This adds the raw gradients of each training case
of stage1_golden.json (before any step) as stage1_gradients.json.
Run once: python3 bench/reference/make_gradient_golden.py
"""
import json, os, sys
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sigtfb_reference import CNN_Multilabel, basset_loss, one_hot  # noqa: E402

torch.set_num_threads(1)
root = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "golden")
g = json.load(open(os.path.join(root, "stage1_golden.json")))
out = {"note": "d loss / d parameter at the golden params, per training case (before any step)", "cases": []}
for case in g["training"]:
    model = CNN_Multilabel(g["channels"], g["cell_types"], g["length"], init_weights=False)
    sd = {k: torch.tensor(np.array(v["data"], dtype=np.float32).reshape(v["shape"])) for k, v in g["params"].items()}
    model.load_state_dict(sd)
    x = one_hot([g["sequences"][i] for i in case["sequence_indices"]])
    y = torch.tensor(np.array(case["labels"], dtype=np.float32))
    logits = model(x)[0]
    if case["loss"] == "basset":
        loss = basset_loss(logits, y)
    elif case["loss"] == "bce":
        loss = torch.nn.BCELoss()(torch.sigmoid(logits), y)
    else:
        ids = np.array(case["cell_type_ids"])
        if len(ids) * 2 == len(case["sequence_indices"]):
            ids = np.repeat(ids, 2)
        t = y * torch.nn.functional.logsigmoid(logits) + (1 - y) * (-logits + torch.nn.functional.logsigmoid(logits))
        loss = -t[range(len(ids)), ids].sum() / y.shape[0]
    loss.backward()
    out["cases"].append({"loss": case["loss"], "value": float(loss.item()),
                         "gradients": {k: [float(v) for v in p.grad.detach().numpy().ravel()] for k, p in model.named_parameters()}})
json.dump(out, open(os.path.join(root, "stage1_gradients.json"), "w"))
print("wrote stage1_gradients.json", [c["value"] for c in out["cases"]], [c["loss"] for c in out["cases"]])
