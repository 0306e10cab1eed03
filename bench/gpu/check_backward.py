"""GPU check and benchmark of the attnc CUDA backward kernels (run_all.sh with ATTNC_BWD=1).

Phase 1 (check): every fixture x {bf16, fp16} x D {64, 128} x shapes (odd lengths 1000 / 777,
GQA, MQA, strided [B,N,H,D] views) -- dQ, dK, dV from the backward kernels (output buffers
poisoned with NaN) against float64 PyTorch autograd on the same dense mask (+ score bias),
fresh random inputs; fully masked rows must get dQ = 0. One case per fixture also goes
through the autograd path (pattern.attention on inputs that require grad, out.backward).
Phase 2 (time): B=1, H=16, D=128, bf16, N=16k: attnc forward+backward vs FlexAttention
forward+backward (torch.compile, block mask of the same mask_mod) for causal, sliding
window and S2 (+ the CSR fixture if time allows). Every failure is printed as it happens;
the summary and the timing table come last. Results JSON: $OUT/bwd_results.json.
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
from fixtures import FIXTURES  # noqa: E402

T0 = time.time()
FAILURES: list[str] = []


def log(*a):
    print(f"[{time.time() - T0:6.1f}s]", *a, flush=True)


def fail(msg):
    FAILURES.append(msg)
    print(f"FAIL: {msg}", flush=True)


def dense_masks(fx, Nq, Nk, H, inputs, device):
    q = torch.arange(Nq, device=device)[:, None]
    k = torch.arange(Nk, device=device)[None, :]
    allowed = torch.stack([fx.allowed(q, k, h, inputs) for h in range(H)])
    biases = [fx.bias(q, k, h, inputs) for h in range(H)]
    bias = None if biases[0] is None else torch.stack(biases)
    return allowed, bias


def reference_grads(q, k, v, dout, allowed, bias, scale):
    """float64 autograd; rows with no allowed key give O = 0 and zero gradients."""
    H, Hkv = q.shape[1], k.shape[1]
    qd, kd, vd = (x.detach().double().requires_grad_() for x in (q, k, v))
    kf = kd.repeat_interleave(H // Hkv, dim=1)
    vf = vd.repeat_interleave(H // Hkv, dim=1)
    s = (qd @ kf.transpose(-1, -2)) * scale
    if bias is not None:
        s = s + bias[None]
    nonempty = allowed.any(-1)[None, ..., None]
    s = s.masked_fill(~allowed[None], float("-inf"))
    s = torch.where(nonempty, s, torch.zeros_like(s))
    p = torch.softmax(s, dim=-1) * nonempty
    o = p @ vf
    (o * dout.double()).sum().backward()
    return qd.grad, kd.grad, vd.grad, allowed.any(-1)


def make(B, H, Hkv, Nq, Nk, D, dtype, device, strided):
    if strided:
        q = torch.randn(B, Nq, H, D, device=device, dtype=dtype).transpose(1, 2)
        k = torch.randn(B, Nk, Hkv, D, device=device, dtype=dtype).transpose(1, 2)
        v = torch.randn(B, Nk, Hkv, D, device=device, dtype=dtype).transpose(1, 2)
    else:
        q = torch.randn(B, H, Nq, D, device=device, dtype=dtype)
        k = torch.randn(B, Hkv, Nk, D, device=device, dtype=dtype)
        v = torch.randn(B, Hkv, Nk, D, device=device, dtype=dtype)
    dout = torch.randn(B, H, Nq, D, device=device, dtype=dtype)
    return q, k, v, dout


def relerr(a, b):
    a, b = a.double(), b.double()
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


def check(patterns, dtypes, dims, budget_s):
    device = torch.device("cuda")
    shapes = [  # B, H, Hkv, N, strided
        (2, 4, 2, 1000, False),
        (1, 4, 1, 777, True),
        (1, 2, 2, 1000, False),
    ]
    rows = []
    for fx in FIXTURES:
        if fx.name not in patterns:
            continue
        pat = attnc_runtime.CompiledPattern(fx.meta("sm90"))
        autograd_done = False
        for dtype in dtypes:
            tol = 2e-2 if dtype == torch.bfloat16 else 1e-2
            for D in dims:
                for B, H, Hkv, N, strided in shapes:
                    if time.time() - T0 > budget_s:
                        fail(f"check budget ({budget_s}s) exhausted before {fx.name} {dtype} D={D} N={N}")
                        return rows
                    tag = f"{fx.name:15s} {str(dtype)[6:]:8s} D={D:3d} B={B} H={H} Hkv={Hkv} N={N}{' strided' if strided else ''}"
                    try:
                        torch.manual_seed(hash((fx.name, str(dtype), D, N, H)) % 2**31)
                        inputs = fx.setup(N, N, H, device)
                        runtime = {kk: vv for kk, vv in inputs.items() if not kk.startswith("_")}
                        allowed, bias = dense_masks(fx, N, N, H, inputs, device)
                        q, k, v, dout = make(B, H, Hkv, N, N, D, dtype, device, strided)
                        out, lse = pat.attention(q, k, v, **runtime)
                        nan = float("nan")
                        dq = torch.full((B, H, N, D), nan, dtype=dtype, device=device)
                        dk = torch.full((B, Hkv, N, D), nan, dtype=dtype, device=device)
                        dv = torch.full((B, Hkv, N, D), nan, dtype=dtype, device=device)
                        pat.attention_backward(q, k, v, out, lse, dout, dq=dq, dk=dk, dv=dv, **runtime)
                        torch.cuda.synchronize()
                        rq, rk, rv, nonempty = reference_grads(q, k, v, dout, allowed, bias, 1.0 / math.sqrt(D))
                        e = {"dq": relerr(dq, rq), "dk": relerr(dk, rk), "dv": relerr(dv, rv)}
                        finite = all(bool(torch.isfinite(x).all()) for x in (dq, dk, dv))
                        empty = ~nonempty  # [H, N]
                        n_empty = int(empty.sum()) * B
                        empty_ok = n_empty == 0 or bool((dq[:, empty] == 0).all())
                        ok = finite and empty_ok and max(e.values()) < tol
                        row = {"pattern": fx.name, "dtype": str(dtype)[6:], "D": D, "B": B, "H": H, "Hkv": Hkv,
                               "N": N, "strided": strided, **e, "finite": finite, "empty_rows": n_empty,
                               "empty_rows_zero": empty_ok, "ok": ok}
                        # autograd path once per fixture: same numbers as the direct call
                        if not autograd_done:
                            qa, ka, va = (x.detach().clone().requires_grad_() for x in (q, k, v))
                            oa, _ = pat.attention(qa, ka, va, **runtime)
                            oa.backward(dout)
                            same = all(bool(torch.equal(a.grad, b)) for a, b in ((qa, dq), (ka, dk), (va, dv)))
                            row["autograd_same"] = same
                            ok = ok and same
                            row["ok"] = ok
                            autograd_done = True
                        rows.append(row)
                        msg = (f"{tag}: dq {e['dq']:.2e} dk {e['dk']:.2e} dv {e['dv']:.2e} empty rows {n_empty}"
                               f"{'' if 'autograd_same' not in row else ' autograd ' + ('same' if row['autograd_same'] else 'DIFFERENT')}")
                        if ok:
                            log(f"PASS {msg}")
                        else:
                            fail(f"{msg} finite={finite} empty_rows_zero={empty_ok} (tol {tol})")
                        del allowed, bias, rq, rk, rv
                    except Exception as ex:  # keep going: every failure is reported
                        fail(f"{tag}: {type(ex).__name__}: {ex}")
                        traceback.print_exc()
                        rows.append({"pattern": fx.name, "dtype": str(dtype)[6:], "D": D, "N": N, "ok": False,
                                     "error": str(ex)})
                    torch.cuda.empty_cache()
    return rows


def bench(fn):
    from triton.testing import do_bench
    return do_bench(fn, warmup=10, rep=50, return_mode="median")


def allowed_pairs(fx, N, H, inputs, device):
    total = 0
    q = torch.arange(N, device=device)[:, None]
    for h in range(H if fx.head_dependent else 1):
        for q0 in range(0, N, 4096):
            total += int(fx.allowed(q[q0:q0 + 4096], torch.arange(N, device=device)[None, :], h, inputs).sum())
    return total if fx.head_dependent else total * H


def time_all(patterns, N, budget_s):
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention

    device = torch.device("cuda")
    B, H, D, dtype = 1, 16, 128, torch.bfloat16
    torch._dynamo.config.recompile_limit = 64
    flex = torch.compile(flex_attention, dynamic=False)
    rows = []
    for fx in FIXTURES:
        if fx.name not in patterns:
            continue
        if time.time() - T0 > budget_s:
            fail(f"timing budget ({budget_s}s) exhausted before {fx.name}")
            break
        row = {"pattern": fx.name, "N": N}
        try:
            pat = attnc_runtime.CompiledPattern(fx.meta("sm90"))
            inputs = fx.setup(N, N, H, device)
            runtime = {kk: vv for kk, vv in inputs.items() if not kk.startswith("_")}
            pairs = allowed_pairs(fx, N, H, inputs, device)
            q, k, v, dout = make(B, H, H, N, N, D, dtype, device, False)
            q, k, v = (x.requires_grad_() for x in (q, k, v))

            def attnc_fwd():
                with torch.no_grad():
                    pat.attention(q, k, v, **runtime)

            def attnc_fwd_bwd():
                out, _ = pat.attention(q, k, v, **runtime)
                out.backward(dout)

            out, lse = pat.attention(q.detach(), k.detach(), v.detach(), **runtime)

            def attnc_bwd():
                pat.attention_backward(q.detach(), k.detach(), v.detach(), out, lse, dout, **runtime)

            row["attnc_fwd_ms"] = bench(attnc_fwd)
            row["attnc_bwd_ms"] = bench(attnc_bwd)
            row["attnc_fwdbwd_ms"] = bench(attnc_fwd_bwd)
            row["attnc_bwd_tflops"] = 10 * D * pairs / row["attnc_bwd_ms"] / 1e9
            log(f"attnc {fx.name} N={N}: fwd {row['attnc_fwd_ms']:.3f} ms, bwd {row['attnc_bwd_ms']:.3f} ms "
                f"({row['attnc_bwd_tflops']:.0f} TFLOP/s), fwd+bwd {row['attnc_fwdbwd_ms']:.3f} ms")
        except Exception as ex:
            fail(f"timing attnc {fx.name}: {type(ex).__name__}: {ex}")
            traceback.print_exc()
        try:
            mask_mod, score_mod = fx.flex(inputs)
            bm = create_block_mask(mask_mod, B=None, H=H if fx.head_dependent else None, Q_LEN=N, KV_LEN=N,
                                   device=device, BLOCK_SIZE=128, _compile=True)

            def flex_fwd_bwd():
                o = flex(q, k, v, score_mod=score_mod, block_mask=bm)
                o.backward(dout)

            t1 = time.time()
            flex_fwd_bwd()
            torch.cuda.synchronize()
            log(f"flex {fx.name}: compiled fwd+bwd in {time.time() - t1:.1f}s")
            row["flex_fwdbwd_ms"] = bench(flex_fwd_bwd)
            if "attnc_fwdbwd_ms" in row:
                row["speedup_vs_flex"] = row["flex_fwdbwd_ms"] / row["attnc_fwdbwd_ms"]
            log(f"flex {fx.name} N={N}: fwd+bwd {row['flex_fwdbwd_ms']:.3f} ms")
        except Exception as ex:
            fail(f"timing flex {fx.name}: {type(ex).__name__}: {ex}")
            traceback.print_exc()
        rows.append(row)
        torch.cuda.empty_cache()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    ap.add_argument("--patterns", default="causal,sliding_window,s2,csr_random")
    ap.add_argument("--time-patterns", default="causal,sliding_window,s2,csr_random")
    ap.add_argument("--dtypes", default="bf16,fp16")
    ap.add_argument("--dims", default="64,128")
    ap.add_argument("--N", type=int, default=16384)
    ap.add_argument("--budget", type=float, default=540, help="seconds; later phases are skipped past it")
    ap.add_argument("--no-time", action="store_true")
    args = ap.parse_args()
    dt = {"bf16": torch.bfloat16, "fp16": torch.float16}
    log(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    checks = check(args.patterns.split(","), [dt[x] for x in args.dtypes.split(",")],
                   [int(x) for x in args.dims.split(",")], budget_s=0.45 * args.budget)
    timings = [] if args.no_time else time_all(args.time_patterns.split(","), args.N, args.budget)
    with open(os.path.join(args.out, "bwd_results.json"), "w") as f:
        json.dump({"checks": checks, "timings": timings, "failures": FAILURES}, f, indent=1)

    n_ok = sum(1 for r in checks if r.get("ok"))
    print(f"\n== backward check: {n_ok}/{len(checks)} cases pass")
    worst = {}
    for r in checks:
        if "dq" in r:
            key = r["dtype"]
            worst[key] = max(worst.get(key, 0.0), r["dq"], r["dk"], r["dv"])
    for key, w in worst.items():
        print(f"   worst relative error {key}: {w:.2e}")
    print(f"== failures: {len(FAILURES)}")
    for m in FAILURES:
        print(f"   {m}")
    if timings:
        print(f"\nB=1 H=16 D=128 bf16 N={args.N} (ms, median)")
        print("pattern          attnc fwd  attnc bwd  bwd TFLOP/s  attnc fwd+bwd  flex fwd+bwd  x_flex")
        for r in timings:
            def f(key, fmt="{:9.3f}"):
                return fmt.format(r[key]) if key in r else "      n/a"
            print(f"{r['pattern']:15s}  {f('attnc_fwd_ms')}  {f('attnc_bwd_ms')}  {f('attnc_bwd_tflops', '{:11.0f}')}"
                  f"  {f('attnc_fwdbwd_ms', '{:13.3f}')}  {f('flex_fwdbwd_ms', '{:12.3f}')}  {f('speedup_vs_flex', '{:6.2f}')}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
