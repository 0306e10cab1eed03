"""Checks and times the BACKWARD pass of the emitted attnc modules (prepared by
bench/gpu/emitted/prepare_backward.ts; run by bench/gpu/all.sh).

  python3 bench/gpu/emitted/check_backward.py [build_bwd] [--budget SECONDS] [--no-bench]

Check (every pattern, B = 2, the case's H / Hkv (GQA where the pattern allows), small odd
lengths, bf16, D = 64 and 128): out.backward(dout) through the emitted module's autograd
(attention(q, k, v) with requires_grad) against float64 PyTorch autograd of dense masked
attention on the SAME mask, built on the GPU from the flex module's mask_mod (and score_mod)
emitted from the same .attn file. Passes when dQ, dK, dV have relative (Frobenius) error
<= 2e-2, no NaN (gradient buffers are poisoned with NaN through the caching allocator before
the call), and dQ = 0 on fully masked rows.

Timing (static patterns at 16k, B = 1, H = 16, D = 128, bf16): forward + backward
(torch.autograd.grad of the output) of the emitted module vs compiled FlexAttention forward +
backward with a BlockMask of the same mask_mod (built once per pattern, eagerly, a few heads at a
time); one compiled flex.
Medians of triton.testing.do_bench. JSON to $OUT/backward.json.
"""
import argparse
import json
import math
import os
import sys
import time
import traceback

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_common import bench as _bench, eager_block_mask, load_module  # noqa: E402

T0 = time.time()
TOL = 2e-2


def log(*a):
    print(f"[{time.time() - T0:6.1f}s]", *a, flush=True)


def case_inputs(d, case, device):
    inputs = {}
    for spec in case["inputs"]:
        arr = np.fromfile(os.path.join(d, spec["file"]), dtype=np.int32 if spec["dtype"] == "i32" else np.float32)
        inputs[spec["name"]] = torch.from_numpy(arr.reshape(spec["shape"])).to(device)
    return inputs


def dense_mask(fmod, layer, q, k, inputs, B, H, Nq, Nk, device):
    """[B, H, Nq, Nk] bool from the flex module's mask_mod, evaluated on the whole grid at once."""
    mask_mod, score_mod = fmod.patterns(layer, q, k, device, **inputs)
    b = torch.arange(B, device=device).view(B, 1, 1, 1)
    h = torch.arange(H, device=device).view(1, H, 1, 1)
    qi = torch.arange(Nq, device=device).view(1, 1, Nq, 1)
    ki = torch.arange(Nk, device=device).view(1, 1, 1, Nk)
    m = mask_mod(b, h, qi, ki)
    return torch.broadcast_to(torch.as_tensor(m, device=device), (B, H, Nq, Nk)).bool(), score_mod, (b, h, qi, ki)


def float64_score(fmod, score_mod):
    """The flex module's score_mod with its float conversions (`_f`) in float64, not float32."""
    def score(s, *idx):
        f32 = fmod._f
        fmod._f = lambda x: fmod._t(x).to(torch.float64)
        try:
            return score_mod(s, *idx)
        finally:
            fmod._f = f32
    return score


def reference_grads(q, k, v, dout, mask, score_mod, idx, scale):
    """float64 autograd of masked attention; rows with no allowed key give O = 0."""
    H, Hkv = q.shape[1], k.shape[1]
    q64, k64, v64 = (x.detach().double().requires_grad_() for x in (q, k, v))
    ke, ve = k64.repeat_interleave(H // Hkv, 1), v64.repeat_interleave(H // Hkv, 1)
    s = (q64 @ ke.transpose(-1, -2)) * scale
    if score_mod is not None:
        s = torch.as_tensor(score_mod(s, *idx)).double()
    empty = ~mask.any(-1, keepdim=True)
    s = torch.where(mask, s, torch.tensor(-math.inf, dtype=s.dtype, device=s.device))
    s = torch.where(empty, torch.zeros_like(s), s)
    p = torch.softmax(s, -1) * mask
    out = p @ ve
    out.backward(dout.double())
    return out.detach(), q64.grad, k64.grad, v64.grad, empty.squeeze(-1)


def rel(x, ref):
    return float((x.double() - ref).norm() / ref.norm().clamp_min(1e-30))


def check_case(d, device):
    case = json.load(open(os.path.join(d, "case.json")))
    name = case["pattern"]
    mod = load_module(os.path.join(d, case["module"] + ".py"), "attnc_bwd_" + name)
    fmod = load_module(os.path.join(d, name + "_flex", case["module"] + "_flex.py"), "attnc_bwd_flex_" + name)
    B, H, Hkv, Nq, Nk, layer = case["B"], case["H"], case["Hkv"], case["Nq"], case["Nk"], case["layer"]
    inputs = case_inputs(d, case, device)
    rows = []
    for D in case["headDims"]:
        r = dict(pattern=name, D=D, shape=f"B={B} H={H}/{Hkv} N={Nq}x{Nk} L{layer}", tile=case["tile"])
        try:
            g = torch.Generator(device="cpu").manual_seed(case["seed"] + D)
            mk = lambda *s: torch.randn(*s, generator=g).to(device=device, dtype=torch.bfloat16)
            q, k, v, dout = mk(B, H, Nq, D), mk(B, Hkv, Nk, D), mk(B, Hkv, Nk, D), mk(B, H, Nq, D)
            scale = 1.0 / math.sqrt(D)
            mask, score_mod, idx = dense_mask(fmod, layer, q, k, inputs, B, H, Nq, Nk, device)
            ref_out, rq, rk, rv, empty = reference_grads(q, k, v, dout, mask, float64_score(fmod, score_mod) if case["hasScoreMod"] else None, idx, scale)
            # poison: the gradient buffers reuse these NaN-filled blocks
            poison = [torch.full(x.shape, float("nan"), dtype=torch.bfloat16, device=device) for x in (q, k, v, q, k, v)]
            del poison
            qa, ka, va = (x.clone().requires_grad_() for x in (q, k, v))
            out, _ = mod.attention(qa, ka, va, layer=layer, **inputs)
            out.backward(dout)
            torch.cuda.synchronize()
            grads = (qa.grad, ka.grad, va.grad)
            r["nan"] = any(bool(torch.isnan(x).any()) for x in grads)
            r["out"] = rel(out, ref_out)
            r["dq"], r["dk"], r["dv"] = rel(grads[0], rq), rel(grads[1], rk), rel(grads[2], rv)
            r["empty_rows"] = int(empty.sum())
            r["empty_dq_zero"] = bool((grads[0].double()[empty] == 0).all()) if r["empty_rows"] else True
            r["ok"] = (not r["nan"]) and max(r["dq"], r["dk"], r["dv"], r["out"]) <= TOL and r["empty_dq_zero"]
        except Exception as e:  # one broken case must not hide the others
            traceback.print_exc()
            r["ok"], r["error"] = False, repr(e)[:300]
        rows.append(r)
        if "error" in r:
            print(f"FAIL {name:26s} D={D:3d} {r['error']}", flush=True)
        else:
            print(f"{'PASS' if r['ok'] else 'FAIL'} {name:26s} D={D:3d} {r['shape']:28s} tile {r['tile']:7s} out {r['out']:.1e} "
                  f"dq {r['dq']:.1e} dk {r['dk']:.1e} dv {r['dv']:.1e} empty {r['empty_rows']}"
                  f"{'' if r['empty_dq_zero'] else ' (dQ != 0!)'}{' NaN' if r['nan'] else ''}", flush=True)
    return rows


def bench(fn):
    return _bench(fn, warmup=10, rep=60)


def time_case(d, flex, device):
    case = json.load(open(os.path.join(d, "case.json")))
    name, N, H, Hkv, D = case["pattern"], case["N"], case["H"], case["Hkv"], 128
    Nq, Nk, layer = case.get("Nq", N), case.get("Nk", N), case.get("layer", 0)
    mod = load_module(os.path.join(d, case["module"] + ".py"), "attnc_bwd_bench_" + name)
    fmod = load_module(os.path.join(d + "_flex", case["module"] + "_flex.py"), "attnc_bwd_bench_flex_" + name)
    r = dict(pattern=name, N=N, Nq=Nq, Nk=Nk, H=H, Hkv=Hkv, layer=layer, tile=case["tile"], density=case["density"],
             transposed="+".join(sorted(set(case["transposed"]))))
    mk = lambda *s: torch.randn(*s, device=device, dtype=torch.bfloat16).requires_grad_()
    q, k, v = mk(1, H, Nq, D), mk(1, Hkv, Nk, D), mk(1, Hkv, Nk, D)
    dout = torch.randn(1, H, Nq, D, device=device, dtype=torch.bfloat16)
    mask_mod, score_mod = fmod.patterns(layer, q, k, device)
    fkw = dict(block_mask=None, enable_gqa=H != Hkv, score_mod=score_mod if case.get("hasScoreMod") else None)
    t = time.time()
    bm = fkw["block_mask"] = eager_block_mask(mask_mod, H, Nq, device, Nk=Nk)
    torch.cuda.synchronize()
    r["flex_block_mask_s"] = time.time() - t

    def attnc_fb():
        out, _ = mod.attention(q, k, v, layer=layer)
        return torch.autograd.grad(out, (q, k, v), dout)

    def flex_fb():
        out = flex(q, k, v, **fkw)
        return torch.autograd.grad(out, (q, k, v), dout)

    with torch.no_grad():
        r["attnc_fwd_ms"] = bench(lambda: mod.attention(q, k, v, layer=layer))
        r["flex_fwd_ms"] = bench(lambda: flex(q, k, v, **fkw))
        r["fwd_speedup_vs_flex"] = r["flex_fwd_ms"] / r["attnc_fwd_ms"]
    r["attnc_fwd_bwd_ms"] = bench(attnc_fb)
    t = time.time()
    flex_fb()
    torch.cuda.synchronize()
    r["flex_compile_s"] = time.time() - t
    r["flex_fwd_bwd_ms"] = bench(flex_fb)
    r["attnc_bwd_ms"] = r["attnc_fwd_bwd_ms"] - r["attnc_fwd_ms"]
    r["flex_bwd_ms"] = r["flex_fwd_bwd_ms"] - r["flex_fwd_ms"]
    r["bwd_speedup_vs_flex"] = r["flex_bwd_ms"] / r["attnc_bwd_ms"]
    r["speedup_vs_flex"] = r["flex_fwd_bwd_ms"] / r["attnc_fwd_bwd_ms"]
    if r["density"]:
        flop = 4.0 * D * r["density"] * H * Nq * Nk * 3.5  # forward 1x + backward 2.5x
        r["attnc_tflops"] = flop / (r["attnc_fwd_bwd_ms"] * 1e-3) / 1e12
        r["flex_tflops"] = flop / (r["flex_fwd_bwd_ms"] * 1e-3) / 1e12
    del q, k, v, dout, bm, fkw
    torch.cuda.empty_cache()
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?", default="bench/gpu/emitted/build_bwd")
    ap.add_argument("--budget", type=float, default=290.0, help="seconds for check + timing together")
    ap.add_argument("--no-bench", action="store_true")
    args = ap.parse_args()
    device = torch.device("cuda")
    check_root = os.path.join(args.root, "check")
    checks = []
    for name in sorted(os.listdir(check_root)):
        checks += check_case(os.path.join(check_root, name), device)
    fails = sum(0 if r["ok"] else 1 for r in checks)
    log(f"BACKWARD CHECK {len(checks) - fails}/{len(checks)} passed")

    timings = []
    bench_root = os.path.join(args.root, "bench")
    if not args.no_bench and os.path.isdir(bench_root):
        from torch.nn.attention.flex_attention import flex_attention
        import torch._dynamo as _dynamo
        torch._dynamo.config.recompile_limit = 64
        flex = torch.compile(flex_attention, dynamic=False)
        for name in sorted(d for d in os.listdir(bench_root) if not d.endswith("_flex")):
            if time.time() - T0 > args.budget - 45:  # a timing case takes up to about a minute (flex compile)
                log(f"budget reached, skipping {name}")
                timings.append(dict(pattern=name, skipped="budget"))
                continue
            try:
                r = time_case(os.path.join(bench_root, name), flex, device)
            except Exception as e:
                traceback.print_exc()
                r = dict(pattern=name, error=repr(e)[:300])
            timings.append(r)
            log(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}))

    out = os.environ.get("OUT")
    if out:
        json.dump({"gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "check": checks, "timing": timings},
                  open(os.path.join(out, "backward.json"), "w"), indent=1)
    print(f"\n{'pattern':19s} {'Nq x Nk':>11s} {'tile':7s} {'transposed':12s} {'attnc fwd':>9s} {'flex fwd':>9s} {'attnc bwd':>9s} "
          f"{'flex bwd':>9s} {'bwd x flex':>10s} {'attnc f+b':>9s} {'flex f+b':>9s} {'f+b x flex':>10s} {'TFLOP/s':>8s}")
    for r in timings:
        if "attnc_fwd_bwd_ms" not in r:
            print(f"{r['pattern']:19s} {r.get('error', r.get('skipped', ''))[:90]}")
            continue
        tf = r.get("attnc_tflops")
        print(f"{r['pattern']:19s} {str(r['Nq']) + 'x' + str(r['Nk']):>11s} {r['tile']:7s} {r['transposed']:12s} {r['attnc_fwd_ms']:9.3f} "
              f"{r['flex_fwd_ms']:9.3f} {r['attnc_bwd_ms']:9.3f} {r['flex_bwd_ms']:9.3f} {r['bwd_speedup_vs_flex']:10.2f} "
              f"{r['attnc_fwd_bwd_ms']:9.3f} {r['flex_fwd_bwd_ms']:9.3f} {r['speedup_vs_flex']:10.2f} {(f'{tf:8.0f}' if tf else '       -')}")
    print(f"\nBACKWARD CHECK {len(checks) - fails}/{len(checks)} passed (rel err <= {TOL} on dQ, dK, dV, no NaN, dQ = 0 on empty rows)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

