"""Times build variants of one emitted pattern module against each other (GPU machine).

A variant is the same emitted module with another cubin (e.g. the header built with
-DATTNC_SM90_STAGES=2 -DATTNC_SM90_MIN_BLOCKS=2); its output must match the module's own
cubin (checked against the float64-verified default build, max abs error printed).
  python3 bench/gpu/emitted/variants.py MODULE_DIR LABEL=CUBIN [LABEL=CUBIN ...] [--B 1]
"""
import argparse
import importlib.util
import json
import os
import sys

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("module_dir")
    ap.add_argument("variants", nargs="+")
    ap.add_argument("--D", type=int, default=128)
    args = ap.parse_args()
    from triton.testing import do_bench

    d = os.path.abspath(args.module_dir)
    name = [f for f in os.listdir(d) if f.endswith(".py") and not f.startswith("attnc_")][0][:-3]
    spec = importlib.util.spec_from_file_location("attnc_variant_" + name, os.path.join(d, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    S = mod.SIZES
    dev = torch.device("cuda")
    q = torch.randn(1, S["H"], S["Nq"], args.D, device=dev, dtype=torch.bfloat16)
    k = torch.randn(1, S["Hkv"], S["Nk"], args.D, device=dev, dtype=torch.bfloat16)
    v = torch.randn(1, S["Hkv"], S["Nk"], args.D, device=dev, dtype=torch.bfloat16)
    ref, ref_lse = mod.attention(q, k, v)
    rows = []
    for item in args.variants:
        label, cubin = item.split("=", 1)
        # the module's own attention() (tables, pattern fields) through the variant's cubin
        mod._patterns["sm90"] = mod.CompiledPattern(dict(mod._LOADER, path="sm90", cubin=os.path.abspath(cubin)), base_dir=d)
        out, lse = mod.attention(q, k, v)
        err = (out.float() - ref.float()).abs().max().item()
        ms = do_bench(lambda: mod.attention(q, k, v), warmup=50, rep=300)
        row = {"module": name, "variant": label, "ms": round(ms, 4), "max_abs_vs_default": err,
               "nan": bool(torch.isnan(out).any().item())}
        print(json.dumps(row), flush=True)
        rows.append(row)
    out_dir = os.environ.get("OUT")
    if out_dir:
        with open(os.path.join(out_dir, f"variants_{name}.json"), "a") as f:
            f.write(json.dumps(rows) + "\n")


if __name__ == "__main__":
    main()
