"""Golden gradients of the stage-2 fine-tune path (stage-1 conv trained through Net_Stage2).

Net_Stage2 with a CNN_Multilabel stage 1 (freeze_pretrained_model=False), train mode, dropout 0,
NLL (mean) on a batch whose first half is told (one-hot) and second half not told (zeros), as
stage2_utils.train with encoding E. Writes Tests/Fixtures/golden/stage2_finetune_gradients.json:
the parameters, sequences (letters; N = 0.25 columns), codes, targets, the loss, and
d loss / d parameter for model_stage1.conv1.{weight,bias} and every head parameter.
Run once: python3 bench/stage2/make_stage2_finetune_golden.py
"""
import json, os, sys
import numpy as np
import torch
import torch.nn.functional as F
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "reference"))
from sigtfb_reference import CNN_Multilabel, Net_Stage2, one_hot  # noqa: E402

torch.set_num_threads(1)
OUT = os.path.join(here, "..", "..", "Tests", "Fixtures", "golden", "stage2_finetune_gradients.json")
C, N, P, H, B, L = 6, 3, 4, 5, 12, 40
rng = np.random.RandomState(20251126)
seqs = ["".join(rng.choice(list("ACGT"), size=L)) for _ in range(B)]
seqs[3] = seqs[3][:10] + "NN" + seqs[3][12:]
s1 = CNN_Multilabel(C, N, L, init_weights=False)
net = Net_Stage2(s1, num_units=N, size_conv_out=C, neurons_per_layer_pre_concat=P, neurons_per_layer=H,
                 dropout_prob=0.0, freeze_pretrained_model=False, init_weights=False)
new = {}
for k, v in net.state_dict().items():
    shape = tuple(v.shape)
    if k.endswith("num_batches_tracked"):
        new[k] = torch.zeros_like(v)
    elif k.endswith("running_var"):
        new[k] = torch.ones(shape)
    elif k.endswith("running_mean"):
        new[k] = torch.zeros(shape)
    elif k.startswith("bn") and k.endswith("weight"):
        new[k] = torch.from_numpy(rng.uniform(0.7, 1.3, size=shape).astype(np.float32))
    elif k.endswith("bias"):
        new[k] = torch.from_numpy(rng.normal(0, 0.1, size=shape).astype(np.float32))
    else:
        new[k] = torch.from_numpy(rng.normal(0, 0.4, size=shape).astype(np.float32))
net.load_state_dict(new)
codes = np.zeros((B, N), dtype=np.float32)
codes[np.arange(B // 2), rng.randint(0, N, size=B // 2)] = 1.0
targets = rng.randint(0, 2, size=B)
entries = {k: {"shape": list(v.shape), "data": [float(x) for x in v.detach().numpy().ravel()]} for k, v in net.state_dict().items()}
net.train()
lp = net(one_hot(seqs), torch.from_numpy(codes))[2]
loss = F.nll_loss(lp, torch.from_numpy(targets.astype(np.int64)))
loss.backward()
grads = {k: [float(x) for x in p.grad.detach().numpy().ravel()] for k, p in net.named_parameters() if p.grad is not None}
assert "model_stage1.conv1.weight" in grads and "model_stage1.fc1.weight" not in grads
assert np.abs(np.array(grads["model_stage1.conv1.weight"])).max() > 1e-4
out = {"note": "Net_Stage2 fine-tune path (stage-1 conv trainable), train mode, dropout 0, NLL mean; gradients before any step",
       "channels": C, "cell_types": N, "pre_concat": P, "hidden": H, "length": L, "sequences": seqs,
       "params": entries, "cell_type_codes": codes.tolist(), "targets": [int(t) for t in targets],
       "loss": float(loss.item()), "gradients": grads}
with open(OUT, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print(OUT, "loss", float(loss.item()), sorted(grads))
