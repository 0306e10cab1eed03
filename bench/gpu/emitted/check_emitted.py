"""Runs every emitted pattern module prepared by prepare.ts on the GPU and compares it with the
float64 reference computed by src/reference (carried as ref_out.f32 / ref_lse.f32).

  python3 bench/gpu/emitted/check_emitted.py [bench/gpu/emitted/build/check]

Per case: outputs are poisoned (NaN) through the caching allocator before the call, so an
unwritten element shows as NaN; rows with no allowed key must give O = 0 and LSE = -inf.
Patterns with runtime inputs also have their runtime schedule (built on the GPU by the module's
helper kernels and attnc_schedule_build) compared with the one prepare.ts computed from the
same inputs (`exact`), or checked for shape when it depends on device top-k / lsh selections;
and the helper kernels' own outputs (attnc_runtime_helpers.cuh) against references computed
here from the same buffers: tile min / max and sorted lists exactly, top-k selections against
float64 pooled scores and lsh buckets against float64 projections (a valid top-k / argmax up to
float32 rounding of near-equal scores).
Row-permuted patterns (SCFA bucket sort, QK-drop compaction) must carry the permutation in their
metadata; their schedule (over sorted rows) is printed with the unpermuted envelope and may not
exceed it; O and LSE come back in the caller's row order and are compared as above. Where
prepare.ts emitted the same pattern without the permutation (`unsorted/`), that module is checked
too and the two are timed (sorted rows with their sort, gathers and scatter, against unsorted).
"""
import json
import math
import os
import sys
import traceback

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_common import bench, load_module  # noqa: E402

TOL = {"bf16": 2e-2, "fp16": 5e-3}
DT = {"bf16": torch.bfloat16, "fp16": torch.float16}


def tensor16(path, shape, dtype, device):
    raw = np.fromfile(path, dtype=np.uint16).astype(np.int16)
    return torch.from_numpy(raw).view(dtype).reshape(shape).to(device)


def check_schedule(mod, case, q, k, v, inputs, d):
    """Returns (ok, note) for the runtime schedule the module builds for this case."""
    spec = case["schedule"]
    got = mod.runtime_schedule(q, k, v, layer=case["layer"], **inputs)
    torch.cuda.synchronize()
    stride, nkt = 1 + spec["maxTiles"], spec["numKeyTiles"]
    rows = got.cpu().numpy().reshape(case["B"], -1, stride).reshape(-1, stride)
    counts = rows[:, 0]
    if (counts < 0).any() or (counts > spec["maxTiles"]).any():
        return False, "schedule counts out of [0, maxTiles]"
    for r, row in enumerate(rows):
        kts = row[1:1 + row[0]] >> 1
        if (kts < 0).any() or (kts >= nkt).any() or len(set(kts.tolist())) != len(kts):
            return False, "schedule row %d: key tiles out of range or repeated" % r
    visited = int(counts.sum())
    unperm = ""
    if spec.get("permuted"):
        # row permutation (SCFA): the module must sort rows, and the sorted schedule must not
        # visit more tiles than the unpermuted envelope
        if "permutation" not in mod.META:
            return False, "the module's metadata has no row permutation"
        unperm = "; sorted rows, unpermuted envelope %d tiles" % spec["unpermutedEnvelope"]
        if visited > spec["unpermutedEnvelope"]:
            return False, "sorted schedule visits %d tiles, more than the unpermuted envelope %d" % (visited, spec["unpermutedEnvelope"])
    if spec["check"] != "exact":
        return True, "schedule %d tiles (structure)%s" % (visited, unperm)
    want = np.fromfile(os.path.join(d, spec["file"]), dtype=np.int32).reshape(-1, stride)
    for r in range(len(rows)):
        n = want[r, 0]
        if rows[r, 0] != n or (rows[r, 1:1 + n] != want[r, 1:1 + n]).any():
            return False, "schedule row %d: %s, expected %s" % (r, rows[r, :1 + rows[r, 0]].tolist()[:8], want[r, :1 + n].tolist()[:8])
    return True, "schedule %d of %d envelope tiles (exact)%s" % (visited, spec["envelope"], unperm)


SORTED_PAD = 2147483647


def ref_tile_minmax(x, rows, n, tile):
    """x: [E, rows * n] -> [E, rows * tiles * 2]: min, max per row and tile (numpy, per tile)."""
    E, tiles = x.shape[0], -(-n // tile)
    v = x.reshape(E, rows, n)
    out = np.empty((E, rows, tiles, 2), dtype=np.int64)
    for t in range(tiles):
        seg = v[:, :, t * tile:min(n, (t + 1) * tile)]
        out[:, :, t, 0], out[:, :, t, 1] = seg.min(-1), seg.max(-1)
    return out.reshape(E, -1)


def ref_sorted_list(x, n):
    """x: [E, rows * n] -> per row its distinct non-negative entries ascending, then the pad."""
    v = x.reshape(-1, n)
    out = np.full(v.shape, SORTED_PAD, dtype=np.int64)
    for r, row in enumerate(v):
        u = np.unique(row[row >= 0])
        out[r, :len(u)] = u
    return out.reshape(x.shape[0], -1)


def check_topk(helper, q, k, got):
    """The device's top-k selection [B, H, nqb, topk] against float64 pooled scores: per row the
    first min(topk, n) entries are distinct candidates (kb < n; kb <= qb when causal), the rest
    -1, and no unselected candidate scores above a selected one (beyond float32 rounding)."""
    block, top, causal = helper["block"], helper["k"], helper["causal"]
    B, H, Nq, D = q.shape
    Hkv, Nk = k.shape[1], k.shape[2]

    def pooled(x, n):
        nb = -(-n // block)
        xs = torch.nn.functional.pad(x.double(), (0, 0, 0, nb * block - n)).view(x.shape[0], x.shape[1], nb, block, D).sum(3)
        counts = torch.clamp(n - torch.arange(nb, device=x.device) * block, max=block).double()
        return xs / counts[None, None, :, None]

    qm, km = pooled(q, Nq), pooled(k, Nk).repeat_interleave(H // Hkv, dim=1)
    scores = (qm @ km.transpose(-1, -2)).cpu().numpy()
    nqb, nkb = scores.shape[2], scores.shape[3]
    got = got.reshape(B, H, nqb, top)
    for b in range(B):
        for h in range(H):
            for qb in range(nqb):
                n = min(qb + 1, nkb) if causal else nkb
                m = min(top, n)
                row = got[b, h, qb]
                head = row[:m]
                where = "top-k row (b=%d, h=%d, qb=%d): %s" % (b, h, qb, row.tolist()[:8])
                if (row[m:] != -1).any() or (head < 0).any() or (head >= n).any() or len(set(head.tolist())) != m:
                    return False, where + " is no selection of %d of %d candidates" % (m, n)
                s = scores[b, h, qb, :n]
                others = np.delete(s, head)
                tol = 1e-5 * max(1e-30, float(np.abs(s).max())) + 1e-7
                if others.size and s[head].min() < others.max() - tol:
                    return False, where + ": a better candidate was left out (%.3e < %.3e)" % (s[head].min(), others.max())
    return True, "top-k %d rows" % (B * H * nqb)


def check_lsh(mod, spec, x, got):
    """The device's buckets [B, heads, N] against float64 [xR, -xR]: each bucket is a maximum up
    to float32 rounding of near-equal projections (the reference takes the first maximum)."""
    lsh = spec["lsh"]
    R = torch.from_numpy(mod.lsh_projection(lsh["seed"], x.shape[-1], lsh["buckets"])).double().to(x.device)
    xr = x.double() @ R
    scores = torch.cat([xr, -xr], dim=-1)
    best = scores.max(dim=-1).values
    g = got.to(x.device).long()
    if g.shape != best.shape or (g < 0).any() or (g >= lsh["buckets"]).any():
        return False, "lsh %s: shape %s or buckets out of range" % (spec["buffer"], tuple(g.shape))
    chosen = scores.gather(-1, g.unsqueeze(-1)).squeeze(-1)
    tol = 1e-5 * best.abs() + 1e-6
    bad = chosen < best - tol
    if bad.any():
        i = int(torch.nonzero(bad.reshape(-1))[0])
        return False, "lsh %s row %d: bucket %d scores %.4e, the best %.4e" % (spec["buffer"], i, int(g.reshape(-1)[i]), float(chosen.reshape(-1)[i]), float(best.reshape(-1)[i]))
    exact = float((g == scores.argmax(dim=-1)).double().mean())
    return True, "lsh %.4f exact" % exact


def check_helpers(mod, case, q, k, v, inputs):
    """The device's top-k selections and schedule summaries against references computed here
    from the same buffers (numpy / float64 torch), exactly where they are integer functions."""
    fields = mod.runtime_fields(q, k, v, layer=case["layer"], **inputs)
    torch.cuda.synchronize()
    notes = []
    for spec in mod.META["inputs"]:
        if spec["source"] == "lsh":
            ok, note = check_lsh(mod, spec, q if spec["lsh"]["of"] == "Q" else k, fields[spec["buffer"]])
            if not ok:
                return False, note
            notes.append(note)
    for helper in mod.META.get("helpers", []):
        kind, buf = helper["kind"], helper["buffer"]
        if kind == "topk_blocks":
            ok, note = check_topk(helper, q, k, fields[buf].cpu().numpy())
            if not ok:
                return False, note
            notes.append(note)
        elif kind in ("tile_minmax", "sorted_list"):
            src, stride = fields[helper["of"]], fields[helper["of"] + "_bstride"]
            E = 1 if stride == 0 else case["B"]
            x = src.reshape(-1)[:E * helper["rows"] * helper["n"]].cpu().numpy().astype(np.int64).reshape(E, -1)
            want = ref_tile_minmax(x, helper["rows"], helper["n"], helper["tile"]) if kind == "tile_minmax" else ref_sorted_list(x, helper["n"])
            got = fields[buf].reshape(-1).cpu().numpy().astype(np.int64)
            if got.size != want.size or (got != want.reshape(-1)).any():
                bad = int(np.argmax(got != want.reshape(-1))) if got.size == want.size else -1
                return False, "%s %s differs from the reference (first at %d: %s vs %s)" % (kind, buf, bad, got[bad:bad + 4].tolist(), want.reshape(-1)[bad:bad + 4].tolist())
            notes.append("%s exact" % kind)
    return True, ", ".join(notes)


def run_case(d, device):
    case = json.load(open(os.path.join(d, "case.json")))
    mod = load_module(os.path.join(d, case["module"] + ".py"), "attnc_case_" + os.path.basename(d))
    B, H, Hkv, Nq, Nk, D = case["B"], case["H"], case["Hkv"], case["Nq"], case["Nk"], case["D"]
    dt = DT[case["dtype"]]
    q = tensor16(os.path.join(d, "q.u16"), (B, H, Nq, D), dt, device)
    k = tensor16(os.path.join(d, "k.u16"), (B, Hkv, Nk, D), dt, device)
    v = tensor16(os.path.join(d, "v.u16"), (B, Hkv, Nk, D), dt, device)
    inputs = {}
    for spec in case["inputs"]:
        arr = np.fromfile(os.path.join(d, spec["file"]), dtype=np.int32 if spec["dtype"] == "i32" else np.float32)
        inputs[spec["name"]] = torch.from_numpy(arr.reshape(spec["shape"])).to(device)
    ref_out = torch.from_numpy(np.fromfile(os.path.join(d, "ref_out.f32"), dtype=np.float32)).double().reshape(B, H, Nq, D).to(device)
    ref_lse = torch.from_numpy(np.fromfile(os.path.join(d, "ref_lse.f32"), dtype=np.float32)).double().reshape(B, H, Nq).to(device)
    # poison: the next allocations of these sizes reuse the NaN-filled blocks (several: a
    # row-permuted module allocates the sorted q and out before the final out)
    poison = [torch.full((B, H, Nq, D), float("nan"), dtype=dt, device=device) for _ in range(4)]
    poison += [torch.full((B, H, Nq), float("nan"), dtype=torch.float32, device=device) for _ in range(3)]
    del poison
    out, lse = mod.attention(q, k, v, layer=case["layer"], **inputs)
    torch.cuda.synchronize()
    out64, lse64 = out.double(), lse.double()
    empty = torch.isinf(ref_lse) & (ref_lse < 0)
    nonempty = ~empty
    nan = bool(torch.isnan(out64).any() or torch.isnan(lse64).any())
    diff = (out64 - ref_out)[nonempty]
    rel = float(diff.norm() / ref_out[nonempty].norm().clamp_min(1e-30)) if nonempty.any() else 0.0
    lse_err = float((lse64 - ref_lse)[nonempty].abs().max()) if nonempty.any() else 0.0
    empty_ok = bool((out64[empty] == 0).all() and (torch.isinf(lse64[empty]) & (lse64[empty] < 0)).all())
    ok = (not nan) and rel < TOL[case["dtype"]] and lse_err < 1e-2 and empty_ok
    schedule_ok, schedule = True, ""
    if "schedule" in case:
        schedule_ok, schedule = check_schedule(mod, case, q, k, v, inputs, d)
    if mod.META.get("helpers") or any(x["source"] == "lsh" for x in mod.META["inputs"]):
        helpers_ok, helpers = check_helpers(mod, case, q, k, v, inputs)
        schedule_ok = schedule_ok and helpers_ok
        schedule = "; ".join(x for x in (schedule, helpers) if x)
    ok = ok and schedule_ok
    if case.get("unsorted"):
        # the same pattern compiled without the row permutation: same result, and the timing
        # of sorted against unsorted rows (sort, gathers and scatter included)
        um = load_module(os.path.join(d, case["unsorted"]), "attnc_unsorted_" + os.path.basename(d))
        uo, _ = um.attention(q, k, v, layer=case["layer"], **inputs)
        torch.cuda.synchronize()
        urel = float((uo.double() - ref_out)[nonempty].norm() / ref_out[nonempty].norm().clamp_min(1e-30)) if nonempty.any() else 0.0
        uok = not bool(torch.isnan(uo.double()).any()) and urel < TOL[case["dtype"]]
        ok = ok and uok
        schedule_ok = schedule_ok and uok
        note = "unsorted rows rel=%.2e%s" % (urel, "" if uok else " (WRONG)")
        try:
            run = lambda m: m.attention(q, k, v, layer=case["layer"], **inputs)  # noqa: E731
            ts, tu = bench(lambda: run(mod), warmup=5, rep=40), bench(lambda: run(um), warmup=5, rep=40)
            note += "; sorted rows %.3f ms vs unsorted %.3f ms (%.2fx)" % (ts, tu, tu / ts)
        except Exception as e:  # timing is a report, not a check
            note += "; timing failed: %r" % (e,)
        schedule = (schedule + "; " if schedule else "") + note
    return ok, dict(schedule=schedule, schedule_ok=schedule_ok, case=os.path.basename(d), rel=rel, lse_err=lse_err, nan=nan, empty_rows=int(empty.sum()),
                    empty_ok=empty_ok, tile=case["tile"], shape=f"B={B} H={H}/{Hkv} N={Nq}x{Nk} D={D} {case['dtype']}")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "bench/gpu/emitted/build/check"
    device = torch.device("cuda")
    results, fails = [], 0
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        try:
            ok, r = run_case(d, device)
        except Exception as e:  # report and go on: one broken case must not hide the others
            traceback.print_exc()
            ok, r = False, dict(case=name, error=repr(e)[:300])
        fails += 0 if ok else 1
        r["ok"] = ok
        results.append(r)
        if "error" in r:
            print(f"FAIL {name:40s} {r['error']}", flush=True)
        else:
            print(f"{'PASS' if ok else 'FAIL'} {name:40s} {r['shape']:34s} tile {r['tile']:7s} rel={r['rel']:.2e} "
                  f"lse={r['lse_err']:.1e} empty={r['empty_rows']}{'' if r['empty_ok'] else ' (WRONG)'}{' NaN' if r['nan'] else ''}"
                  f"{'; ' + r['schedule'] if r['schedule'] else ''}{'' if r['schedule_ok'] else ' (WRONG)'}",
                  flush=True)
    out = os.environ.get("OUT")
    if out:
        json.dump(results, open(os.path.join(out, "emitted_check.json"), "w"), indent=1)
    print(f"\nEMITTED CHECK {len(results) - fails}/{len(results)} passed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
