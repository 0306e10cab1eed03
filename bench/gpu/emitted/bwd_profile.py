"""Where the sm_90a backward's time goes: times the emitted backward of one pattern (16k, B = 1,
H = 16, D = 128, bf16) as built, and rebuilt with variants of the dK/dV kernel. Split the time
(wrong on purpose): no dQ addition (no_dq_add), no dQ product and addition (no_dq), the dQ tiles
staged but never reduced (no_dq_reduce), that without its proxy fence (no_dq_fence), no mask on
PARTIAL tiles (no_mask). Other orders and forms: the shared dQ tile staged at the end of its own
item instead of behind the next item's S^T (dq_late0); the next item's copies issued behind S^T
and dP^T instead of at the top of the item (produce_late); a PARTIAL tile's mask evaluated after
the exponentials instead of while S^T and dP^T run (mask_late); both, the build of run 25 (run25);
the four instruction trims off (Q and dO by the generic copy loop, the row-past-Nq test on the
LSE, the LSE converted per lane and item, dK/dV stored after the wait for the last reduce-adds:
untrimmed); the CTA's key block and KV head taken from blockIdx at every use instead of shared
memory (cta_blockidx); dQ added by per-thread 8-byte vector atomics instead of staged bulk
reduce-adds (red2); each warpgroup adding its own keys' dQ part (dq_own_keys: no CTA-wide barrier,
twice the reduce traffic); the dQ product issued before dK's, staged while dK runs (dq_first);
P^T computed after dP^T's wait (no_overlap_p); 64- or 128-key dK/dV CTAs whatever the emitter
chose (keys64, keys128); the dK/dV CTAs in grid order, without the heavy key blocks first
(grid_order); one warpgroup's dQ added with atomics instead of bulk reduce-adds from its
Q / dO stage (wg1_atomics). All three
launches (pre, dkdv, dq) are timed together, and for the build as shipped also one by one
(torch.profiler, per-kernel milliseconds per backward).

  python3 bench/gpu/emitted/bwd_profile.py build_bwd/bench/causal_16384 [more dirs]
      [--D 128] [--B 1] [--variants full,red2,...]
"mma_sync" is the mma.sync path (dQ recomputed in its own pass) built for sm_90a.
"""
import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_common import bench, load_module  # noqa: E402

VARIANTS = {"full": [], "dq_own_keys": ["-DATTNC_BWD_SHARED_DQ=0"], "no_dq_add": ["-DATTNC_BWD_DQ_ATOMICS=0"],
            "no_dq": ["-DATTNC_BWD_DQ_MMA=0"], "no_dq_reduce": ["-DATTNC_BWD_DQ_REDUCE=0"],
            "dq_late0": ["-DATTNC_BWD_DQ_LATE=0"], "produce_late": ["-DATTNC_BWD_PRODUCE_LATE=1"],
            "no_dq_fence": ["-DATTNC_BWD_DQ_REDUCE=0", "-DATTNC_BWD_DQ_FENCE=0"],
            "untrimmed": ["-DATTNC_BWD_PAIR_LOADS=0", "-DATTNC_BWD_LSE_NQ_TEST=1", "-DATTNC_BWD_LSE2=0", "-DATTNC_BWD_STORE_FIRST=0"],
            "cta_blockidx": ["-DATTNC_BWD_CTA_FROM_SMEM=0"], "red2": ["-DATTNC_BWD_DQ_BULK=0"],
            "no_mask": ["-DATTNC_BWD_MASK_PASS=0"],
            "mask_late": ["-DATTNC_BWD_MASK_EARLY=0"],
            "run25": ["-DATTNC_BWD_MASK_EARLY=0", "-DATTNC_BWD_PRODUCE_LATE=1"],
            "mma_sync": ["-DATTNC_BWD_FORCE_SM80"], "no_overlap_p": ["-DATTNC_BWD_OVERLAP_P=0"],
            "dq_first": ["-DATTNC_BWD_DQ_FIRST=1"], "wg1_atomics": ["-DATTNC_BWD_CTA_KEYS=64", "-DATTNC_BWD_DQ_BULK1=0"],
            "keys64": ["-DATTNC_BWD_CTA_KEYS=64"], "keys128": ["-DATTNC_BWD_CTA_KEYS=128"],
            "grid_order": ["-DATTNC_BWD_HEAVY_FIRST=0"]}


def build(d, module, flags, tag):
    out = os.path.join(d, f"{module}_bwd.{tag}.cubin")
    subprocess.run(["nvcc", "-cubin", "-gencode=arch=compute_90a,code=sm_90a", "-O3", "-std=c++17", "-DATTNC_NO_SM80",
                    *flags, "-I", "runtime", f"{module}_bwd.cu", "-o", os.path.basename(out)], cwd=d, check=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--D", type=int, default=128)
    ap.add_argument("--B", type=int, default=1)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    args = ap.parse_args()
    device = torch.device("cuda")
    tags = args.variants.split(",")
    # every variant of every pattern built up front, in parallel
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        cubins = {(d, tag): pool.submit(build, d, json.load(open(os.path.join(d, "case.json")))["module"], VARIANTS[tag], tag)
                  for d in args.dirs for tag in tags}
        cubins = {key: f.result() for key, f in cubins.items()}
    for d in args.dirs:
        case = json.load(open(os.path.join(d, "case.json")))
        mod = load_module(os.path.join(d, case["module"] + ".py"), "attnc_prof_" + case["pattern"])
        N, H, D, B = case["N"], case["H"], args.D, args.B
        Hkv = case.get("Hkv", H)
        mk = lambda *s: torch.randn(*s, device=device, dtype=torch.bfloat16).requires_grad_()
        q, k, v = mk(B, H, N, D), mk(B, Hkv, N, D), mk(B, Hkv, N, D)
        dout = torch.randn(B, H, N, D, device=device, dtype=torch.bfloat16)
        out, _ = mod.attention(q, k, v)  # through the module's autograd (it binds the tables)
        pat = mod._pattern(device)
        from attnc_runtime import _Module
        row = {"pattern": case["pattern"], "N": N, "B": B, "D": D}
        run = lambda: torch.autograd.grad(out, (q, k, v), dout, retain_graph=True)
        ref = None
        for tag in tags:
            with open(cubins[(d, tag)], "rb") as f:
                pat._bwd_mod, pat._bwd_kernels, pat._bwd_dq_accum = _Module(f.read()), {}, None
            grads = run()
            row[tag + "_keys"] = pat._bwd_dkdv_keys  # keys per dK/dV CTA of this build
            if ref is None:
                ref = grads  # the first variant (as shipped, checked against float64 by check_backward.py)
            else:  # how far each variant's gradients are from it (0.0-0.01: the same up to summation order)
                row[tag + "_diff"] = round(max(((g.float() - r.float()).abs().max() / r.float().abs().max().clamp_min(1e-30)).item()
                                               for g, r in zip(grads, ref)), 5)
            row[tag + "_ms"] = round(bench(run), 3)
            if tag == "full":
                row["kernels_ms"] = kernel_split(run)
        print(json.dumps(row), flush=True)


def kernel_split(run, reps=10):
    """Milliseconds per backward of each CUDA kernel the backward launches (torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile
    run()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(reps):
            run()
        torch.cuda.synchronize()
    split = {}
    for ev in prof.key_averages():
        us = getattr(ev, "device_time_total", None) or getattr(ev, "cuda_time_total", 0)
        if us > 0:
            split[ev.key[:48]] = round(us / 1000 / reps, 4)
    return split


if __name__ == "__main__":
    main()
