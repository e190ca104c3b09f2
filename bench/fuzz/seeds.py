#!/usr/bin/env python3
"""Writes small seed corpora for the fuzz harnesses into bench/fuzz/corpus/<target>/ from Tests/Fixtures."""
import gzip, json, os, struct, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
fx = os.path.join(root, "Tests", "Fixtures")
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "bench", "fuzz", "corpus")

def put(target, name, data):
    d = os.path.join(out, target); os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f: f.write(data)

# Peaks: first lines of a real fixture (mode byte: 0 memory, 1 file, 2/3 with --center summit), gzip too.
bed = gzip.open(os.path.join(fx, "preprocess/peaks/CTCF.ENCAB101SYN/K562.bed.gz")).read().split(b"\n")
head = b"\n".join(bed[:6]) + b"\n"
np_lines = b"chr1\t100\t300\tp1\t0\t+\t5.0\t-1\t-1\t50\nchr2\t10\t20\tp2\t0\t-\t1\t1\t1\t-1\n"
put("peaks", "bed", b"\x00" + head)
put("peaks", "narrowpeak", b"\x02" + np_lines)
put("peaks", "bed-file", b"\x01# comment\ntrack name=x\nbrowser position chr1\n\n" + head)
put("peaks", "bed-gz", b"\x01" + gzip.compress(head))
put("peaks", "narrowpeak-gz", b"\x03" + gzip.compress(np_lines))
put("peaks", "spaces-crlf", b"\x00chr1 5 10\r\nchrX  1   2  a 0 -\r\n")

# FASTA (+ optional "\0FAI\0" + .fai text).
fa = b">chr1 desc\nACGTACGTAC\nGTNNacgt\n>chr2\nAAAACCCCGG\nTT\n"
fai = b"chr1\t18\t11\t10\t11\nchr2\t12\t37\t10\t11\n"
put("fasta", "plain", fa)
put("fasta", "with-fai", fa + b"\0FAI\0" + fai)
put("fasta", "crlf", fa.replace(b"\n", b"\r\n"))
put("fasta", "gzip", gzip.compress(fa))
put("fasta", "gzip-fai", gzip.compress(fa) + b"\0FAI\0" + fai)
g = gzip.open(os.path.join(fx, "preprocess/genome.fa.gz")).read()
put("fasta", "fixture-head", g[:2000])

# MEME.
for n in ("small.meme", "bad_row.meme"):
    put("meme", n, open(os.path.join(fx, "motifs", n), "rb").read())
put("meme", "alphabet-block", b"MEME version 5\n\nALPHABET \"DNA\" DNA-LIKE\nA\nC\nG\nT\nEND ALPHABET\n\nstrands: +\n\n"
    b"Background letter frequencies (from file):\nA 0.3 C 0.2\nG 0.2 T 0.3\n\nMOTIF m1 alt\n\nlog-odds matrix: alength= 4 w= 2\n1 2 3 4\n1 2 3 4\n"
    b"letter-probability matrix: alength= 4 w= 2 nsites= 20 E= 1e-3\n0.1 0.2 0.3 0.4\n0.25 0.25 0.25 0.25\nURL http://x\n")

# Tuning JSON (first byte: even = search space, odd = tuner state).
space = [{"name": "lr", "type": "range", "bounds": [1e-5, 1e-2], "value_type": "float", "log_scale": True},
         {"name": "ch", "type": "range", "bounds": [8, 64], "value_type": "int"},
         {"name": "b", "type": "choice", "values": [16, 32], "value_type": "int", "is_ordered": True},
         {"name": "s", "type": "fixed", "value": "balanced"}]
put("tuning", "space", b"\x00" + json.dumps(space).encode())
put("tuning", "space-object", b"\x00" + json.dumps({"parameters": space[:2]}).encode())
state = {"format": "sigtfb-tuner", "version": 1, "space": {"parameters": space}, "seed": 3, "direction": "maximize",
         "initial_trials": 3, "center_point": True, "sobol_index": 1,
         "trials": [{"trial_index": 0, "parameters": {"lr": 1e-3, "ch": 16, "b": 32, "s": "balanced"},
                     "status": "completed", "value": 0.7, "method": "center"},
                    {"trial_index": 1, "parameters": {"lr": 1e-4, "ch": 40, "b": 16, "s": "balanced"},
                     "status": "pending", "method": "sobol"}]}
put("tuning", "state", b"\x01" + json.dumps(state).encode())
for f in sorted(os.listdir(os.path.join(fx, "tuning"))):
    put("tuning", "fixture-" + f, b"\x00" + open(os.path.join(fx, "tuning", f), "rb").read()[:4000])

# Safetensors: a small valid file per dtype.
def st(tensors, meta=None):
    header, body = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    if meta: header["__metadata__"] = meta
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + body
put("safetensors", "f32", st([("w", "F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)), ("b", "F32", [2], struct.pack("<2f", 0, 1))], {"format": "pt"}))
put("safetensors", "f64", st([("w", "F64", [3], struct.pack("<3d", 1, 2, 3))]))
put("safetensors", "f16-bf16", st([("h", "F16", [2], struct.pack("<2H", 0x3c00, 0x8001)), ("g", "BF16", [1], struct.pack("<H", 0x3f80))]))
put("safetensors", "empty-tensor", st([("e", "F32", [0], b"")]))
