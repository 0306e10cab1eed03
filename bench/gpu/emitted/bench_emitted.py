"""Times the emitted attnc kernels against FlexAttention on exactly the same mask (the flex
module emitted by `attnc compile --target flex` from the same .attn file) and against PyTorch
SDPA (flash, cuDNN) on dense causal. B=1, D=128, bf16, H from the case (16 unless the pattern
fixes it). Medians of triton.testing.do_bench.

  python3 bench/gpu/emitted/bench_emitted.py [build/bench] [--budget SECONDS] [--sizes 16384,32768]

Flex's BlockMask is built once per case by its own create_block_mask (eager, a few heads at a
time; timed separately) and reused; up to --flex-max-n tokens. Runtime patterns (documents,
top-k): `attnc ms` includes every runtime step per call (top-k selection, summaries, schedule
builder: the helper kernels, then attention), Flex's excludes its block mask, a comparison
biased towards Flex; `attn only` is attnc's attention over a ready runtime schedule (the
like-for-like comparison with Flex over a ready block mask) and `steps` the runtime steps alone.
"""
import argparse
import json
import os
import sys
import time
import traceback

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_common import bench, eager_block_mask, load_module  # noqa: E402

T0 = time.time()


def log(*a):
    print(f"[{time.time() - T0:6.1f}s]", *a, flush=True)


def runtime_inputs(meta, N, device):
    """Example runtime inputs: packed documents of random lengths (512..4096 tokens)."""
    inputs = {}
    g = torch.Generator().manual_seed(int(time.time()))
    for spec in meta["inputs"]:
        if spec["source"] != "given":
            continue
        shape = spec["shape"]
        n = shape[-1]
        ids = torch.empty(n, dtype=torch.int32)
        pos, doc = 0, 0
        while pos < n:
            length = int(torch.randint(512, 4097, (1,), generator=g))
            ids[pos:pos + length] = doc
            pos += length
            doc += 1
        inputs[spec["name"]] = ids.expand(*shape).contiguous().to(device)
    return inputs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?", default="bench/gpu/emitted/build/bench")
    ap.add_argument("--budget", type=float, default=400.0)
    ap.add_argument("--sizes", default="16384,32768,65536,8192")
    ap.add_argument("--flex-max-n", type=int, default=32768)
    ap.add_argument("--patterns", default="", help="comma-separated subset, timed in this order")
    args = ap.parse_args()
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    import torch._dynamo
    torch._dynamo.config.recompile_limit = 256
    torch._dynamo.config.accumulated_recompile_limit = 4096
    flex = torch.compile(flex_attention, dynamic=False)
    device = torch.device("cuda")
    D, dtype = 128, torch.bfloat16
    rows = []
    dirs = [d for d in os.listdir(args.root) if not d.endswith("_flex")]
    order = {int(s): i for i, s in enumerate(args.sizes.split(","))}
    only = [p for p in args.patterns.split(",") if p]
    dirs = [d for d in dirs if not only or d.rsplit("_", 1)[0] in only]
    rank = lambda d: only.index(d.rsplit("_", 1)[0]) if only else 0
    dirs = sorted((d for d in dirs if int(d.rsplit("_", 1)[1]) in order), key=lambda d: (order[int(d.rsplit("_", 1)[1])], rank(d), d))
    for name in dirs:
        if time.time() - T0 > args.budget:
            log(f"budget reached, skipping {name}")
            continue
        d = os.path.join(args.root, name)
        case = json.load(open(os.path.join(d, "case.json")))
        N, H, Hkv = case["N"], case["H"], case["Hkv"]
        row = {"pattern": case["pattern"], "N": N, "H": H, "tile": case["tile"]}
        try:
            mod = load_module(os.path.join(d, case["module"] + ".py"), "attnc_bench_" + name)
            fmod = load_module(os.path.join(d + "_flex", case["module"] + "_flex.py"), "attnc_flex_" + name)
            meta = mod.META
            has_score = "HAS_SCORE_MOD = true" in open(os.path.join(d, case["module"] + ".cuh")).read()
            runtime = bool(meta["inputs"]) or bool(meta.get("helpers"))
            q = torch.randn(1, H, N, D, device=device, dtype=dtype)
            k = torch.randn(1, Hkv, N, D, device=device, dtype=dtype)
            v = torch.randn(1, Hkv, N, D, device=device, dtype=dtype)
            inputs = runtime_inputs(meta, N, device)
            st = case.get("statistics") or {}
            row["density"] = None if runtime else case.get("density")
            row["attnc_ms"] = bench(lambda: mod.attention(q, k, v, **inputs))
            if runtime:
                # the same call split: the runtime steps alone (top-k selection, summaries,
                # schedule builder: the helper kernels) and attention over their ready fields
                fields = mod.runtime_fields(q, k, v, **inputs)
                row["attnc_attention_ms"] = bench(lambda: mod.attention_with_fields(q, k, v, fields))
                row["attnc_steps_ms"] = bench(lambda: mod.runtime_fields(q, k, v, **inputs))
                del fields
            if N <= args.flex_max_n:
                # FlexAttention's own create_block_mask on the emitted mask_mod, eager and a
                # few heads at a time (_compile=True spent 165-193 s per pattern compiling on
                # this machine; eager over all heads materialises H*N*N int64 intermediates)
                t = time.time()
                mm, fsm = fmod.patterns(0, q, k, device, **inputs)
                sm = fsm if has_score else None
                bm = eager_block_mask(mm, H, N, device)
                torch.cuda.synchronize()
                row["flex_block_mask_s"] = time.time() - t
                # runtime patterns: Flex's time excludes building its block mask, attnc's
                # includes its selection helpers (a comparison biased towards Flex)
                row["flex_ms"] = bench(lambda: flex(q, k, v, score_mod=sm, block_mask=bm, enable_gqa=H != Hkv))
                del bm
            if case["pattern"] == "causal":
                for label, backend in (("sdpa_flash_ms", SDPBackend.FLASH_ATTENTION), ("cudnn_ms", SDPBackend.CUDNN_ATTENTION)):
                    try:
                        with sdpa_kernel(backend):
                            row[label] = bench(lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True))
                    except Exception as e:
                        log(f"{label}: {e}")
            if row["density"] is not None:
                flop = 4.0 * D * row["density"] * H * N * N
                for key in list(row):
                    if key.endswith("_ms"):
                        row[key.replace("_ms", "_tflops")] = flop / (row[key] * 1e-3) / 1e12
            if "flex_ms" in row:
                row["speedup_vs_flex"] = row["flex_ms"] / row["attnc_ms"]
                if "attnc_attention_ms" in row:
                    row["attention_speedup_vs_flex"] = row["flex_ms"] / row["attnc_attention_ms"]
            del q, k, v
            torch.cuda.empty_cache()
        except Exception as e:
            traceback.print_exc()
            row["error"] = repr(e)[:300]
        rows.append(row)
        log(json.dumps({kk: (round(vv, 4) if isinstance(vv, float) else vv) for kk, vv in row.items()}))
    out = os.environ.get("OUT")
    if out:
        json.dump(rows, open(os.path.join(out, "emitted_bench.json"), "w"), indent=1)
    print(f"\n{'pattern':18s} {'N':>6s} {'tile':7s} {'attnc ms':>9s} {'TFLOP/s':>8s} {'flex ms':>9s} {'x flex':>7s} {'sdpa-fa2':>9s} {'cudnn':>7s}"
          f" {'attn only':>9s} {'x flex':>7s} {'steps':>7s}")
    for r in rows:
        if "error" in r:
            print(f"{r['pattern']:18s} {r['N']:6d} ERROR {r['error'][:80]}")
            continue
        tf = r.get("attnc_tflops")
        print(f"{r['pattern']:18s} {r['N']:6d} {r['tile']:7s} {r['attnc_ms']:9.3f} {(f'{tf:8.0f}' if tf else '       -')} "
              f"{r.get('flex_ms', float('nan')):9.3f} {r.get('speedup_vs_flex', float('nan')):7.2f} {r.get('sdpa_flash_ms', float('nan')):9.3f} {r.get('cudnn_ms', float('nan')):7.3f}"
              f" {r.get('attnc_attention_ms', float('nan')):9.3f} {r.get('attention_speedup_vs_flex', float('nan')):7.2f} {r.get('attnc_steps_ms', float('nan')):7.3f}")


if __name__ == "__main__":
    main()
