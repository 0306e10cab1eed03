"""GPU check and benchmark of the attnc CUDA forward kernels (run by run_all.sh).

Phase 1 (check): every fixture x {sm90, sm80} x {bf16, fp16} x {D 64, 128} x shapes
(odd lengths, GQA/MQA, strided views) against a float64 reference, on fresh random
inputs with NaN-poisoned outputs. Phase 2 (time): B=1, H=16, D=128, bf16 at 8k/16k/32k
against SDPA (flash, cuDNN) on dense causal and compiled FlexAttention on the same mask.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "codegen", "cuda", "python"))

import attnc_runtime  # noqa: E402
from fixtures import FIXTURES, BLOCK_M  # noqa: E402

T0 = time.time()


def log(*a):
    print(f"[{time.time() - T0:6.1f}s]", *a, flush=True)


# ---------------------------------------------------------------------------
# Reference
# ---------------------------------------------------------------------------
def dense_masks(fx, Nq, Nk, H, inputs, device):
    q = torch.arange(Nq, device=device)[:, None]
    k = torch.arange(Nk, device=device)[None, :]
    allowed = torch.stack([fx.allowed(q, k, h, inputs) for h in range(H)])
    biases = [fx.bias(q, k, h, inputs) for h in range(H)]
    bias = None if biases[0] is None else torch.stack(biases)
    return allowed, bias


def reference(q, k, v, allowed, bias, scale):
    H, Hkv = q.shape[1], k.shape[1]
    qf = q.double()
    kf = k.double().repeat_interleave(H // Hkv, dim=1)
    vf = v.double().repeat_interleave(H // Hkv, dim=1)
    s = (qf @ kf.transpose(-1, -2)) * scale
    if bias is not None:
        s = s + bias[None]
    s = s.masked_fill(~allowed[None], float("-inf"))
    lse = torch.logsumexp(s, dim=-1)
    p = torch.exp(s - lse[..., None])
    p = torch.where(allowed[None] & torch.isfinite(lse)[..., None], p, torch.zeros_like(p))
    return p @ vf, lse


def make_qkv(B, H, Hkv, Nq, Nk, D, dtype, device, strided):
    if strided:  # [B, N, H, D] storage viewed as [B, H, N, D]: non-trivial strides
        q = torch.randn(B, Nq, H, D, device=device, dtype=dtype).transpose(1, 2)
        k = torch.randn(B, Nk, Hkv, D, device=device, dtype=dtype).transpose(1, 2)
        v = torch.randn(B, Nk, Hkv, D, device=device, dtype=dtype).transpose(1, 2)
    else:
        q = torch.randn(B, H, Nq, D, device=device, dtype=dtype)
        k = torch.randn(B, Hkv, Nk, D, device=device, dtype=dtype)
        v = torch.randn(B, Hkv, Nk, D, device=device, dtype=dtype)
    return q, k, v


def check(patterns, paths):
    device = torch.device("cuda")
    shapes = [  # B, H, Hkv, N, strided
        (2, 4, 2, 1000, False),
        (1, 2, 1, 4097, False),
        (1, 4, 1, 777, True),
    ]
    results, failures = [], 0
    for fx in FIXTURES:
        if fx.name not in patterns:
            continue
        for (B, H, Hkv, N, strided) in shapes:
            inputs = fx.setup(N, N, H, device)
            allowed, bias = dense_masks(fx, N, N, H, inputs, device)
            empty_rows = int((~allowed.any(-1)).sum())
            runtime = {k: v for k, v in inputs.items() if not k.startswith("_")}
            for path in paths:
                cp = attnc_runtime.CompiledPattern(fx.meta(path))
                for dtype in (torch.bfloat16, torch.float16):
                    for D in (64, 128):
                        q, k, v = make_qkv(B, H, Hkv, N, N, D, dtype, device, strided)
                        scale = 1.0 / math.sqrt(D)
                        out = torch.full((B, H, N, D), float("nan"), dtype=dtype, device=device)
                        lse = torch.full((B, H, N), float("nan"), dtype=torch.float32, device=device)
                        tag = f"{fx.name:15s} {path} {str(dtype)[6:]:8s} D={D:3d} B={B} H={H}/{Hkv} N={N}{' strided' if strided else ''}"
                        try:
                            cp.attention(q, k, v, scale=scale, out=out, lse=lse, **runtime)
                            torch.cuda.synchronize()
                            ro, rl = reference(q, k, v, allowed, bias, scale)
                            nan = bool(torch.isnan(out).any() or torch.isnan(lse).any())
                            err = float((out.double() - ro).norm() / ro.norm().clamp_min(1e-30))
                            fin = torch.isfinite(rl)
                            lse_err = float((lse.double() - rl)[fin].abs().max()) if fin.any() else 0.0
                            empty_ok = bool((lse[~fin] == float("-inf")).all() and (out[~fin] == 0).all())
                            ok = (not nan) and err < 2e-2 and lse_err < 1e-2 and empty_ok
                        except Exception as e:  # keep checking the rest
                            traceback.print_exc()
                            ok, nan, err, lse_err, empty_ok = False, True, float("nan"), float("nan"), False
                        failures += not ok
                        results.append(dict(case=tag, ok=ok, rel_err=err, lse_err=lse_err, nan=nan,
                                            empty_rows=empty_rows, empty_ok=empty_ok))
                        log(f"{'PASS' if ok else 'FAIL'} {tag}  rel={err:.2e} lse={lse_err:.1e} "
                            f"empty={empty_rows}{'' if empty_ok else ' BAD-EMPTY'}{' NaN' if nan else ''}")
            del allowed, bias
            torch.cuda.empty_cache()
    return results, failures


def fallback_check():
    """The loader's compile-from-source fallbacks (cubin missing): nvcc, then NVRTC."""
    device = torch.device("cuda")
    fx = FIXTURES[0]
    results = []
    for mode in ("nvcc", "nvrtc"):
        os.environ.pop("ATTNC_NO_NVCC", None)
        if mode == "nvrtc":
            os.environ["ATTNC_NO_NVCC"] = "1"
        meta = fx.meta("sm90")
        meta["cubin"] = "/nonexistent.cubin"
        t0 = time.time()
        try:
            cp = attnc_runtime.CompiledPattern(meta)
            q, k, v = make_qkv(1, 2, 2, 1000, 1000, 128, torch.bfloat16, device, False)
            out, lse = cp.attention(q, k, v)
            torch.cuda.synchronize()
            allowed, bias = dense_masks(fx, 1000, 1000, 2, {}, device)
            ro, _ = reference(q, k, v, allowed, bias, 1 / math.sqrt(128))
            err = float((out.double() - ro).norm() / ro.norm())
            ok = err < 2e-2
        except Exception:
            traceback.print_exc()
            ok, err = False, float("nan")
        results.append(dict(mode=mode, ok=ok, rel_err=err, seconds=time.time() - t0))
        log(f"fallback {mode}: {'PASS' if ok else 'FAIL'} rel={err:.2e} ({time.time() - t0:.1f}s incl. compile)")
    os.environ.pop("ATTNC_NO_NVCC", None)
    return results


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------
def allowed_pairs(fx, N, H, inputs, device):
    total = 0
    k = torch.arange(N, device=device)[None, :]
    for h in range(H if fx.head_dependent else 1):
        for r0 in range(0, N, 2048):
            q = torch.arange(r0, min(N, r0 + 2048), device=device)[:, None]
            total += int(fx.allowed(q, k, h, inputs).sum())
    return total if fx.head_dependent else total * H


def bench(fn):
    from triton.testing import do_bench

    return do_bench(fn, warmup=25, rep=100, return_mode="median")


def time_all(patterns, sizes, budget_s, with_sm80):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention

    import torch._dynamo

    torch._dynamo.config.recompile_limit = 256  # one compile per (mask, size); keep them all
    torch._dynamo.config.accumulated_recompile_limit = 4096
    flex = torch.compile(flex_attention, dynamic=False)
    device = torch.device("cuda")
    B, H, D, dtype = 1, 16, 128, torch.bfloat16
    rows = []
    for N in sizes:
        q, k, v = make_qkv(B, H, H, N, N, D, dtype, device, False)
        for fx in FIXTURES:
            if fx.name not in patterns:
                continue
            if time.time() - T0 > budget_s:
                log(f"time budget reached, skipping {fx.name} N={N}")
                continue
            inputs = fx.setup(N, N, H, device)
            runtime = {kk: vv for kk, vv in inputs.items() if not kk.startswith("_")}
            pairs = allowed_pairs(fx, N, H, inputs, device)
            flop = 4.0 * D * pairs * B
            row = {"pattern": fx.name, "N": N, "density": pairs / (H * N * N)}
            cp = attnc_runtime.CompiledPattern(fx.meta("sm90"))
            row["attnc_ms"] = bench(lambda: cp.attention(q, k, v, **runtime))
            if with_sm80 and N == 16384:
                cp80 = attnc_runtime.CompiledPattern(fx.meta("sm80"))
                row["attnc_sm80_ms"] = bench(lambda: cp80.attention(q, k, v, **runtime))
            try:
                mask_mod, score_mod = fx.flex(inputs)
                bm = create_block_mask(mask_mod, B=None, H=H if fx.head_dependent else None,
                                       Q_LEN=N, KV_LEN=N, device=device, BLOCK_SIZE=128, _compile=True)
                row["flex_ms"] = bench(lambda: flex(q, k, v, score_mod=score_mod, block_mask=bm))
            except Exception:
                traceback.print_exc()
            if fx.name == "causal":
                for label, backend in (("sdpa_flash_ms", SDPBackend.FLASH_ATTENTION),
                                       ("cudnn_ms", SDPBackend.CUDNN_ATTENTION)):
                    try:
                        with sdpa_kernel(backend):
                            row[label] = bench(lambda: torch.nn.functional.scaled_dot_product_attention(
                                q, k, v, is_causal=True))
                    except Exception as e:
                        log(f"{label}: {e}")
            for key in list(row):
                if key.endswith("_ms"):
                    row[key.replace("_ms", "_tflops")] = flop / (row[key] * 1e-3) / 1e12
            if "flex_ms" in row:
                row["speedup_vs_flex"] = row["flex_ms"] / row["attnc_ms"]
            rows.append(row)
            log(json.dumps({kk: (round(vv, 4) if isinstance(vv, float) else vv) for kk, vv in row.items()}))
        del q, k, v
        torch.cuda.empty_cache()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--patterns", default="causal,sliding_window,s2,csr_random")
    ap.add_argument("--paths", default="sm90,sm80")
    ap.add_argument("--sizes", default="8192,16384,32768")
    ap.add_argument("--time-patterns", default="causal,sliding_window,s2,csr_random")
    ap.add_argument("--budget", type=float, default=480.0, help="seconds; timing stops starting new rows after")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--no-time", action="store_true")
    ap.add_argument("--fallback", action="store_true", help="also test compiling from source (nvcc, NVRTC)")
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    args = ap.parse_args()
    log(torch.cuda.get_device_name(), torch.__version__)
    summary = {}
    failures = 0
    if not args.no_check:
        res, failures = check(args.patterns.split(","), args.paths.split(","))
        summary["check"] = res
        log(f"check: {len(res) - failures}/{len(res)} passed")
    if args.fallback:
        summary["fallback"] = fallback_check()
    if not args.no_time:
        summary["time"] = time_all(args.time_patterns.split(","), [int(s) for s in args.sizes.split(",")],
                                   args.budget, "sm80" in args.paths)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(summary, f, indent=1)
    if "check" in summary:
        worst = max((r["rel_err"] for r in summary["check"] if r["ok"]), default=float("nan"))
        print(f"\nCHECK {len(summary['check']) - failures}/{len(summary['check'])} passed, worst passing rel err {worst:.2e}")
        for r in summary["check"]:
            if not r["ok"]:
                print("  FAIL", r["case"], f"rel={r['rel_err']:.2e} lse={r['lse_err']:.1e} nan={r['nan']} empty_ok={r['empty_ok']}")
    if "time" in summary:
        print("\npattern          N      attnc ms  TFLOP/s   flex ms  x_flex  sdpa-fa2  cudnn  sm80")
        for r in summary["time"]:
            def f(key, fmt="{:8.3f}"):
                return fmt.format(r[key]) if key in r else "       -"
            print(f"{r['pattern']:15s} {r['N']:6d}  {f('attnc_ms')} {f('attnc_tflops', '{:7.0f}')}  {f('flex_ms')}"
                  f"  {f('speedup_vs_flex', '{:5.2f}')}  {f('sdpa_flash_ms', '{:7.3f}')} {f('cudnn_ms', '{:6.3f}')} {f('attnc_sm80_ms', '{:6.3f}')}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
