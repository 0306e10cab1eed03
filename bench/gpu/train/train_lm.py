"""Trains a small causal byte-level LM with dense SDPA attention and with emitted attnc patterns
(their autograd: forward + backward kernels), same initialisation and same batches, and
reports tokens/s and loss curves side by side.

  python3 bench/gpu/train/train_lm.py [--modules bench/gpu/emitted/build_bwd/train] [--budget 170]
      [--steps 300] [--variants sdpa,sliding_window,s2_attention]

Model: 4 layers, d = 512, 8 heads of D = 64, MLP 4x, pre-LayerNorm, learned positions, tied
embeddings, seq 2048, batch 8 (16k tokens per step), AdamW 1e-3 (warm-up 30 steps, cosine),
bf16 autocast. Data: the repository's own text (docs, README, grammar, patterns), bytes,
5 % held out. The attnc modules are compiled for exactly these sizes by
bench/gpu/emitted/prepare_backward.ts (Nq = Nk = 2048, H = Hkv = 8). tokens/s is measured on 20
extra steps after the run. JSON to $OUT/train.json; bench/gpu/train/plot_curves.py draws it.
"""
import argparse
import glob
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emitted"))
from gpu_common import load_module  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
T0 = time.time()


def log(*a):
    print(f"[{time.time() - T0:6.1f}s]", *a, flush=True)


def corpus() -> torch.Tensor:
    files = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")) + glob.glob(os.path.join(ROOT, "patterns", "*.attn"))
                   + [os.path.join(ROOT, "README.md"), os.path.join(ROOT, "grammar", "SPEC.md")])
    data = b"\n\n".join(open(f, "rb").read() for f in files if os.path.exists(f))
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).long()


class Attention(nn.Module):
    def __init__(self, d, heads, kind, module):
        super().__init__()
        self.h, self.kind, self.module = heads, kind, module
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)

    def forward(self, x):
        B, N, d = x.shape
        q, k, v = self.qkv(x).view(B, N, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        if self.kind == "sdpa":
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            o, _ = self.module.attention(q, k, v)
        return self.proj(o.transpose(1, 2).reshape(B, N, d))


class Block(nn.Module):
    def __init__(self, d, heads, kind, module):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = Attention(d, heads, kind, module)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d, bias=False), nn.GELU(), nn.Linear(4 * d, d, bias=False))

    def forward(self, x):
        x = x + self.attn(self.n1(x))
        return x + self.mlp(self.n2(x))


class LM(nn.Module):
    def __init__(self, layers, d, heads, seq, kind, module):
        super().__init__()
        self.emb = nn.Embedding(256, d)
        nn.init.normal_(self.emb.weight, std=0.02)  # tied output layer: unit-variance rows would give logits of std sqrt(d)
        self.pos = nn.Parameter(torch.randn(seq, d) * 0.02)
        self.blocks = nn.ModuleList(Block(d, heads, kind, module) for _ in range(layers))
        self.norm = nn.LayerNorm(d)

    def forward(self, idx):
        x = self.emb(idx) + self.pos[: idx.shape[1]]
        for b in self.blocks:
            x = b(x)
        return self.norm(x) @ self.emb.weight.t()




def run(kind, module, data, args, device, budget_s):
    torch.manual_seed(0)
    model = LM(args.layers, args.d, args.heads, args.seq, kind, module).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
    split = int(len(data) * 0.95)
    train, val = data[:split].to(device), data[split:].to(device)
    g = torch.Generator(device="cpu").manual_seed(1)

    def batch(src, gen):
        starts = torch.randint(0, len(src) - args.seq - 1, (args.batch,), generator=gen)
        idx = torch.stack([src[s: s + args.seq + 1] for s in starts.tolist()])
        return idx[:, :-1], idx[:, 1:]

    def val_loss():
        model.eval()
        gv = torch.Generator(device="cpu").manual_seed(2)
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
            losses = [F.cross_entropy(model(x).float().view(-1, 256), y.reshape(-1)).item() for x, y in (batch(val, gv) for _ in range(4))]
        model.train()
        return sum(losses) / len(losses)

    losses, vals = [], []
    start = time.time()
    for step in range(args.steps):
        lr = args.lr * min(1.0, (step + 1) / 30) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = batch(train, g)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(x).float().view(-1, 256), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if step % 50 == 0 or step == args.steps - 1:
            vals.append((step, val_loss()))
        if time.time() - start > budget_s:
            log(f"{kind}: budget reached after {step + 1} steps")
            break
    wall = time.time() - start
    # tokens/s: 20 more training steps, timed alone (no validation, no per-step sync)
    torch.cuda.synchronize()
    t = time.time()
    n = 20
    for _ in range(n):
        x, y = batch(train, g)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(x).float().view(-1, 256), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    torch.cuda.synchronize()
    tps = n * args.batch * args.seq / (time.time() - t)
    return dict(name=kind, steps=len(losses), loss=losses, val=vals, tokens_per_s=tps, wall_s=wall,
                final_val=vals[-1][1] if vals else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--modules", default="bench/gpu/emitted/build_bwd/train")
    ap.add_argument("--variants", default="sdpa,sliding_window,s2_attention")
    ap.add_argument("--budget", type=float, default=170.0, help="seconds for all variants")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--d", type=int, default=512)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    device = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = True
    data = corpus()
    log(f"corpus {len(data)} bytes; model {args.layers} layers, d={args.d}, {args.heads} heads, seq {args.seq}, batch {args.batch}")
    variants = args.variants.split(",")
    runs = []
    for i, kind in enumerate(variants):
        module, info = None, {}
        if kind != "sdpa":
            d = os.path.join(args.modules, kind)
            case = json.load(open(os.path.join(d, "case.json")))
            module = load_module(os.path.join(d, case["module"] + ".py"), "attnc_train_" + kind)
            info = dict(density=case.get("density"), set=case.get("set"))
        left = args.budget - (time.time() - T0)
        r = run(kind, module, data, args, device, left / (len(variants) - i))
        r.update(info)
        runs.append(r)
        log(f"{kind}: {r['steps']} steps, {r['tokens_per_s'] / 1e3:.0f}k tokens/s, final train loss {r['loss'][-1]:.3f}, val {r['final_val']:.3f}")
        torch.cuda.empty_cache()
    out = os.environ.get("OUT")
    result = dict(gpu=torch.cuda.get_device_name(), torch=torch.__version__, config=vars(args), corpus_bytes=len(data), runs=runs)
    if out:
        json.dump(result, open(os.path.join(out, "train.json"), "w"))
    print(f"\n{'attention':16s} {'density':>8s} {'steps':>6s} {'k tok/s':>8s} {'train loss':>10s} {'val loss':>9s}")
    for r in runs:
        dens = r.get("density")
        print(f"{r['name']:16s} {(f'{dens:8.3f}' if dens else 'causal'):>8s} {r['steps']:6d} {r['tokens_per_s'] / 1e3:8.0f} "
              f"{sum(r['loss'][-10:]) / len(r['loss'][-10:]):10.3f} {r['final_val']:9.3f}")
    print("(density: fraction of the attention matrix's tiles the attnc pattern visits)")


if __name__ == "__main__":
    main()
