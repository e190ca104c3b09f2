"""PyTorch reference for SigTFB (Awdeh, Turcotte, Perkins 2024).

Reference-only code: it re-states the *behaviour* of the original
implementation (github.com/aawdeh/SigTFB) so that the Swift port can be
checked against it.  It is not the product.

Contents
--------
* ``CNN_Multilabel``  -- stage-1 DeepBind-like multilabel CNN.
* ``Net_Stage2``      -- stage-2 cell-type-conditioned binary classifier.
* ``basset_loss``, ``basset_terms``, ``one_loss``, ``bce_loss`` -- losses.
* ``one_hot``         -- string -> (B, 4, 1, L) float32 one-hot tensor.
* ``BalancedPairSampler``, ``shuffled_batches`` -- the two samplers.
* ``save_safetensors``, ``load_safetensors`` -- hand-written safetensors I/O.
* metric helpers that mirror utils/evaluationMetrics.py of the original.

Behaviour of the original, as read from its sources (models/stage1Model.py,
models/stage2Model.py, utils/utils.py, utils/sampler_multilablel_modified.py,
classification/stage1_utils.py, classification/stage2_utils.py):

Stage 1 (``CNN_Multilabel``)
    x: (B, 4, 1, L) -> conv1 = Conv2d(4, C, kernel (1, 24), stride 1)
    -> relu1 -> maxpool1 = MaxPool2d(kernel (1, L-23), stride 1) (i.e. a
    global max over the L-23 = 78 conv positions for L = 101)
    -> view(B, C) (= "conv_out", the pooled features)
    -> fc1 = Linear(C, 32) -> relu2 -> fc2 = Linear(32, N).
    forward returns (out, conv_out, C).  ``out`` are logits, except when the
    loss function is "BCE": then ``out`` = sigmoid(logits).
    Parameter names (state_dict): conv1.weight [C,4,1,24], conv1.bias [C],
    fc1.weight [32,C], fc1.bias [32], fc2.weight [N,32], fc2.bias [N].
    Init: Conv2d and Linear weights ~ Normal(0, conv_std) resp.
    Normal(0, linear_std), every bias = 0.
    NOTE (original quirk): the stage-1 Ax tuner searches "motif_std" and the
    stage-1 pipeline sets ``args.motif_std``, but the model reads
    ``args.conv_std`` whose argparse default is 1.0 -- so in the original
    stage-1 runs the conv init std is effectively always 1.0.

Stage 2 (``Net_Stage2``)
    Modules, in registration order (these are the state_dict prefixes):
      model_stage1  (the stage-1 CNN; its parameters appear as
                     model_stage1.conv1.weight, ..., model_stage1.fc2.bias)
      fc1      = Linear(num_units=N, P)          (P = neurons_per_layer_pre_concat)
      bn1      = BatchNorm1d(P)
      dropout1 = Dropout(p)
      relu1    = ReLU
      fc2      = Linear(P, 1)
      fc3      = Linear(1 + C, H)                (H = neurons_per_layer)
      bn3      = BatchNorm1d(H)
      relu3    = ReLU
      dropout3 = Dropout(p)
      fc4      = Linear(H, 2)
      log_softmax = LogSoftmax(dim=1)
    forward(s, g):
      _, conv_out, _ = model_stage1(s)          (eval() first when frozen)
      g = fc2(dropout1(relu1(bn1(fc1(g)))))     -> (B, 1)
      z = cat([conv_out, g], dim=-1)            -> (B, C+1): features FIRST,
                                                   cell-type scalar LAST
      h = dropout3(relu3(bn3(fc3(z))))
      logits = fc4(h); returns (h, logits, log_softmax(logits))
    Head variants (sigtfb's, num_hidden_layers = L; the original documented
    --num_hidden_layers and --modelname Net_NoLayers/Net_OneLayer but only
    built the model above, L = 1): L = 0 has no hidden block, fc4 =
    Linear(1 + C, 2) on z and h = z; L >= 2 appends fc3_k = Linear(H, H),
    bn3_k, relu3_k, dropout3_k (k = 2..L) after dropout3, in that order.
    BatchNorm: eps 1e-5, momentum 0.1, affine; in train mode normalises by
    the biased batch variance and updates running_var with the unbiased one;
    running_mean/var start at 0/1, num_batches_tracked counts train forwards.
    Init: ``_initialize_weights`` walks self.modules() -- which INCLUDES
    model_stage1 -- so it re-draws the stage-1 Conv/Linear weights too
    (Normal(0, conv_std)/Normal(0, linear_std), zero biases); the original
    pipelines therefore call ``net.model_stage1.load_state_dict(...)`` right
    after constructing Net_Stage2 to restore the pre-trained stage-1 weights.
    BatchNorm weight/bias keep PyTorch's defaults (1 / 0).
    If freeze_pretrained_model: stage-1 params get requires_grad=False and the
    stage-1 model is put in eval mode; the SGD optimiser only receives params
    with requires_grad.  Stage-2 training: NLLLoss (mean) on log-probs with
    integer targets, torch.optim.SGD(lr, momentum, weight_decay,
    nesterov=True); weight decay applies to every optimised parameter
    (biases and BN affine parameters included).
    Cell-type code g (Encoding_Random == "E"): one-hot of a cell type drawn
    uniformly per sequence; in each batch the first floor(B/2) rows keep
    their one-hot, the remaining rows get the all-zero code ("no cell type").
    The label of every row is the label of its DRAWN cell type, also for
    rows whose code was zeroed.

Losses (utils/utils.py basset_loss, stage1_utils.train)
    basset:   -sum(t*logsig(o) + (1-t)*(-o + logsig(o))) / B   (B = rows)
    one_loss: per-element terms e = t*logsig(o) + (1-t)*(-o + logsig(o));
              loss = -sum_r e[r, cl_id[r]] / B   (B = rows, i.e. 2*pairs)
    bce:      nn.BCELoss()(sigmoid(o), t), mean over all B*N elements
              (PyTorch clamps each log term at -100).

Balanced pair sampler (utils/sampler_multilablel_modified.py)
    For a training index set I: per class c, pos[c] = sorted indices in I
    with label 1, neg[c] = sorted indices in I with label 0.  The class
    pointer starts at 0 and persists across epochs; each draw uses class c,
    advances c = (c+1) % N, picks one pos and one neg uniformly with
    replacement (np.random.choice), and returns the pair sorted ascending
    ([min, max]) together with c.  One epoch = len(I) draws.  The DataLoader
    groups b draws into a batch (last batch may be partial, not dropped);
    the batch tensor (b, 2, 4, 1, L) is viewed as (2b, 4, 1, L), so row
    2k, 2k+1 are the sorted pair k, and cl_id is repeated twice per pair.
    Plain sampler (not customSampler): shuffled DataLoader over the train
    subset, drop_last=True.

Split (stage1_utils.set_dataLoaders_sampler, typeChIP "two")
    indices = list(range(n)); np.random.shuffle(indices);
    split = floor(0.2 * n); train = indices[split:], valid = indices[:split].

One-hot encoding (this project's convention)
    A, C, G, T -> channels 0, 1, 2, 3 (value 1); N -> 0.25 in all four;
    Z -> all four 0 (padding).  Lower-case is accepted.
"""
from __future__ import annotations

import json
import struct
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

KERNEL_WIDTH = 24
HIDDEN = 32


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------
class CNN_Multilabel(nn.Module):
    """Stage-1 model; parameter names identical to the original."""

    def __init__(self, num_channels: int, num_cell_types: int, seq_length: int = 101,
                 conv_std: float = 1.0, linear_std: float = 1.0,
                 init_weights: bool = True, loss_function: str = "BASSET"):
        super().__init__()
        self.num_channels = num_channels
        self.num_cell_types = num_cell_types
        self.seq_length = seq_length
        self.loss_function = loss_function
        self.conv_std = conv_std
        self.linear_std = linear_std
        pool_width = seq_length - KERNEL_WIDTH + 1
        # registration order matters for state_dict / children() order
        self.conv1 = nn.Conv2d(4, num_channels, kernel_size=(1, KERNEL_WIDTH), stride=1)
        self.relu1 = nn.ReLU()
        self.relu2 = nn.ReLU()
        self.maxpool1 = nn.MaxPool2d(kernel_size=(1, pool_width), stride=1)
        self.fc1 = nn.Linear(num_channels, HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, num_cell_types)
        self.sigmoid = nn.Sigmoid()
        if init_weights:
            init_normal_(self, conv_std, linear_std)

    def forward(self, x: torch.Tensor):
        pooled = self.maxpool1(self.relu1(self.conv1(x)))
        width = pooled.size(1) * pooled.size(2) * pooled.size(3)
        pooled = pooled.view(-1, width)
        out = self.fc2(self.relu2(self.fc1(pooled)))
        if self.loss_function == "BCE":
            out = self.sigmoid(out)
        return out, pooled, width


def init_normal_(module: nn.Module, conv_std: float, linear_std: float) -> None:
    """The original's _initialize_weights: walks module.modules() (recursively)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, mean=0.0, std=conv_std)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0.0)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=linear_std)
            nn.init.constant_(m.bias, 0.0)


class Net_Stage2(nn.Module):
    """Stage-2 model.  ``model_stage1`` may be None, in which case the model
    only holds the stage-2 head and must be called with ``forward_features``
    (pooled stage-1 features given directly).  With a stage-1 model present
    the state_dict additionally carries ``model_stage1.*`` first."""

    def __init__(self, model_stage1: Optional[nn.Module], num_units: int, size_conv_out: int,
                 neurons_per_layer_pre_concat: int, neurons_per_layer: int,
                 dropout_prob: float = 0.0, freeze_pretrained_model: bool = False,
                 conv_std: float = 1.0, linear_std: float = 1.0, init_weights: bool = True,
                 num_hidden_layers: int = 1):
        super().__init__()
        self.num_hidden_layers = num_hidden_layers
        self.freeze = freeze_pretrained_model
        if model_stage1 is not None:
            self.model_stage1 = model_stage1
            if freeze_pretrained_model:
                for p in self.model_stage1.parameters():
                    p.requires_grad = False
                self.model_stage1.eval()
        else:
            self.model_stage1 = None
        P, H = neurons_per_layer_pre_concat, neurons_per_layer
        self.fc1 = nn.Linear(num_units, P)
        self.bn1 = nn.BatchNorm1d(P)
        self.dropout1 = nn.Dropout(p=dropout_prob)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(P, 1)
        # The original (num_hidden_layers = 1): one hidden block fc3/bn3/relu3/dropout3.
        # sigtfb's variants (the original documented --num_hidden_layers and --modelname
        # Net_NoLayers but only ever built this model): L = 0 registers no hidden block and
        # fc4 = Linear(1 + C, 2); L >= 2 registers fc3_k/bn3_k/relu3_k/dropout3_k (H -> H) for
        # k = 2..L after dropout3, so the state_dict reads fc3.*, bn3.*, fc3_2.*, bn3_2.*, ..., fc4.*.
        self.hidden_blocks = []
        for k in range(1, num_hidden_layers + 1):
            suffix = "" if k == 1 else f"_{k}"
            fc = nn.Linear(1 + size_conv_out if k == 1 else H, H)
            bn, relu, drop = nn.BatchNorm1d(H), nn.ReLU(), nn.Dropout(p=dropout_prob)
            setattr(self, "fc3" + suffix, fc)
            setattr(self, "bn3" + suffix, bn)
            setattr(self, "relu3" + suffix, relu)
            setattr(self, "dropout3" + suffix, drop)
            self.hidden_blocks.append((fc, bn, relu, drop))
        self.fc4 = nn.Linear(H if num_hidden_layers > 0 else 1 + size_conv_out, 2)
        self.log_softmax = nn.LogSoftmax(dim=1)
        if init_weights:
            # NB: like the original this also re-initialises model_stage1.
            init_normal_(self, conv_std, linear_std)

    def forward_features(self, conv_out: torch.Tensor, g: torch.Tensor):
        g = self.dropout1(self.relu1(self.bn1(self.fc1(g))))
        g = self.fc2(g)
        z = torch.cat([conv_out, g], dim=-1)
        h = z  # num_hidden_layers = 0: fc4 reads the concatenation
        for fc, bn, relu, drop in self.hidden_blocks:
            h = drop(relu(bn(fc(h))))
        logits = self.fc4(h)
        return h, logits, self.log_softmax(logits)

    def forward(self, s: torch.Tensor, g: torch.Tensor):
        if self.freeze:
            self.model_stage1.eval()
        _, conv_out, _ = self.model_stage1(s)
        return self.forward_features(conv_out, g)


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------
def basset_terms(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-element log-likelihood terms (the original's one-loss return value)."""
    ls = F.logsigmoid(outputs)
    return targets * ls + (1 - targets) * (-outputs + ls)


def basset_loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return -torch.sum(basset_terms(outputs, targets)) / targets.size(0)


def one_loss(outputs: torch.Tensor, targets: torch.Tensor, cl_id: Sequence[int]) -> torch.Tensor:
    terms = basset_terms(outputs, targets)
    cl = torch.as_tensor(np.asarray(cl_id, dtype=np.int64))
    picked = terms[torch.arange(terms.size(0)), cl]
    return -picked.sum() / targets.size(0)


def bce_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return nn.BCELoss()(torch.sigmoid(logits), targets)


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------
_CODE = {"A": (1.0, 0.0, 0.0, 0.0), "C": (0.0, 1.0, 0.0, 0.0),
         "G": (0.0, 0.0, 1.0, 0.0), "T": (0.0, 0.0, 0.0, 1.0),
         "N": (0.25, 0.25, 0.25, 0.25), "Z": (0.0, 0.0, 0.0, 0.0)}


def one_hot(seqs: Sequence[str]) -> torch.Tensor:
    """(B, 4, 1, L) float32; all sequences must have the same length."""
    L = len(seqs[0])
    out = np.zeros((len(seqs), 4, 1, L), dtype=np.float32)
    for i, s in enumerate(seqs):
        if len(s) != L:
            raise ValueError("sequences must have equal length")
        for j, ch in enumerate(s.upper()):
            out[i, :, 0, j] = _CODE[ch]
    return torch.from_numpy(out)


# ---------------------------------------------------------------------------
# Samplers
# ---------------------------------------------------------------------------
class BalancedPairSampler:
    """Behaviour of MultilabelBalancedRandomSampler (see module docstring).
    ``rng`` is a np.random.RandomState (the original uses the global one)."""

    def __init__(self, labels: np.ndarray, indices: Optional[Sequence[int]] = None,
                 rng: Optional[np.random.RandomState] = None):
        self.labels = np.asarray(labels)
        self.indices = np.arange(len(labels)) if indices is None else np.asarray(indices)
        self.rng = rng if rng is not None else np.random
        self.num_classes = self.labels.shape[1]
        self.current_class = 0
        self.pos, self.neg = [], []
        for c in range(self.num_classes):
            p = np.where(self.labels[:, c] == 1)[0]
            n = np.where(self.labels[:, c] == 0)[0]
            self.pos.append(p[np.isin(p, self.indices)])
            self.neg.append(n[np.isin(n, self.indices)])

    def __len__(self) -> int:
        return len(self.indices)

    def draw(self) -> Tuple[List[int], int]:
        c = self.current_class
        self.current_class = (c + 1) % self.num_classes
        ip = self.rng.choice(self.pos[c])
        ineg = self.rng.choice(self.neg[c])
        return sorted([int(ineg), int(ip)]), c

    def epoch_batches(self, batch_pairs: int) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Yields (row_indices[2b], cl_id[2b]) per batch; pairs flattened in order."""
        draws = [self.draw() for _ in range(len(self))]
        for s in range(0, len(draws), batch_pairs):
            chunk = draws[s:s + batch_pairs]
            rows = np.array([i for pair, _ in chunk for i in pair], dtype=np.int64)
            cls = np.repeat(np.array([c for _, c in chunk], dtype=np.int64), 2)
            yield rows, cls


def shuffled_batches(indices: Sequence[int], batch_size: int, rng: np.random.RandomState,
                     drop_last: bool = True) -> Iterator[np.ndarray]:
    idx = np.asarray(indices)[rng.permutation(len(indices))]
    stop = (len(idx) // batch_size) * batch_size if drop_last else len(idx)
    for s in range(0, stop, batch_size):
        yield idx[s:s + batch_size]


def split_train_valid(n: int, rng: np.random.RandomState, val_size: float = 0.2):
    indices = list(range(n))
    rng.shuffle(indices)
    split = int(np.floor(val_size * n))
    return indices[split:], indices[:split]


# ---------------------------------------------------------------------------
# Metrics (mirror utils/evaluationMetrics.py)
# ---------------------------------------------------------------------------
def roc_auc_score_modified(y_true, y_score) -> float:
    """sklearn AUROC; if only one class is present the original returns
    accuracy_score(y_true, np.rint(y_score)) instead (np.rint = round half to even)."""
    from sklearn.metrics import accuracy_score, roc_auc_score
    y_true = np.asarray(y_true)
    if len(np.unique(y_true)) == 1:
        return float(accuracy_score(y_true, np.rint(y_score)))
    return float(roc_auc_score(y_true, y_score))


def hamming_score(y_true, y_pred) -> float:
    """Mean over rows of |true & pred| / |true | pred|; a row with both sets empty counts 1."""
    vals = []
    for t, p in zip(np.asarray(y_true), np.asarray(y_pred)):
        st, sp = set(np.where(t)[0]), set(np.where(p)[0])
        vals.append(1.0 if not st and not sp else len(st & sp) / float(len(st | sp)))
    return float(np.mean(vals))


# ---------------------------------------------------------------------------
# safetensors (hand-rolled; little-endian)
# ---------------------------------------------------------------------------
_DT = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64,
       "I32": np.int32, "U8": np.uint8, "BF16": None}
_DT_REV = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
           np.dtype(np.float64): "F64", np.dtype(np.int64): "I64",
           np.dtype(np.int32): "I32", np.dtype(np.uint8): "U8"}


def load_safetensors(path: str) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    base = 8 + hlen
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = info["dtype"]
        buf = raw[base + b: base + e]
        if dt == "BF16":
            u16 = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(buf, dtype=np.dtype(_DT[dt]).newbyteorder("<"))
        tensors[name] = arr.reshape(info["shape"]).copy()
    return tensors, meta


def save_safetensors(path: str, tensors: Dict[str, np.ndarray],
                     metadata: Optional[Dict[str, str]] = None) -> None:
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        data = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _DT_REV[a.dtype], "shape": list(a.shape),
                        "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for blob in blobs:
            f.write(blob)
