"""One forward of an emitted bench module (its case size, B = 1, D = 128, bf16; runtime inputs
as bench_emitted.py draws them) for Nsight Compute: bench/gpu/all.sh (step ncufwd) profiles the
attention kernel of several patterns with it.

  python3 bench/gpu/emitted/ncu_fwd_driver.py build/bench/packed_documents_16384
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_emitted import runtime_inputs  # noqa: E402
from gpu_common import load_module  # noqa: E402

d = sys.argv[1]
case = json.load(open(os.path.join(d, "case.json")))
mod = load_module(os.path.join(d, case["module"] + ".py"), "attnc_ncu_fwd")
meta = json.load(open(os.path.join(d, "metadata.json")))
device = torch.device("cuda")
N, H, Hkv, D = case["N"], case["H"], case["Hkv"], 128
mk = lambda *s: torch.randn(*s, device=device, dtype=torch.bfloat16)
q, k, v = mk(1, H, N, D), mk(1, Hkv, N, D), mk(1, Hkv, N, D)
inputs = runtime_inputs(meta, N, device)
mod.attention(q, k, v, **inputs)
torch.cuda.synchronize()
print("ncu forward driver done", case["pattern"], N)
