"""One forward and one backward of an emitted module (16k, B = 1, H = 16, D = 128, bf16) for
Nsight Compute: bench/gpu/all.sh (step ncu) runs it under `ncu` on the attention and dK/dV kernels.

  python3 bench/gpu/emitted/ncu_driver.py build_bwd/bench/causal_16384
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_common import load_module  # noqa: E402

d = sys.argv[1]
case = json.load(open(os.path.join(d, "case.json")))
mod = load_module(os.path.join(d, case["module"] + ".py"), "attnc_ncu")
device = torch.device("cuda")
N, H, Hkv, D = case["N"], case["H"], case["Hkv"], 128
mk = lambda *s: torch.randn(*s, device=device, dtype=torch.bfloat16).requires_grad_()
q, k, v = mk(1, H, N, D), mk(1, Hkv, N, D), mk(1, Hkv, N, D)
out, _ = mod.attention(q, k, v)
torch.autograd.grad(out, (q, k, v), torch.randn_like(out))
torch.cuda.synchronize()
print("ncu driver done", case["pattern"], N)
