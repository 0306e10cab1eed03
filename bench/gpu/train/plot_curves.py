"""Draws the training curves of bench/gpu/train/train_lm.py (its train.json) as an SVG for docs/:
training loss against step (left) and against wall-clock seconds (right), one line per attention
variant, tokens/s in the legend. Python standard library only; no GPU needed.

  python3 bench/gpu/train/plot_curves.py train.json docs/img/train_curves.svg
"""
import json
import math
import sys
from xml.sax.saxutils import escape

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 420, 300, 56, 16, 34, 44


def smooth(xs, k=9):
    out = []
    for i in range(len(xs)):
        w = xs[max(0, i - k + 1): i + 1]
        out.append(sum(w) / len(w))
    return out


def ticks(lo, hi, n=5):
    span = (hi - lo) or 1.0
    mag = 10 ** math.floor(math.log10(span / n))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10)), key=lambda st: abs(span / st - n))
    t = math.ceil(lo / step) * step
    out = []
    while t <= hi + 1e-9:
        out.append(round(t, 10))
        t += step
    return out


def panel(x0, title, series, xlabel):
    """series: [(label, color, xs, ys)]"""
    xs_all = [x for _, _, xs, _ in series for x in xs]
    ys_all = [y for _, _, _, ys in series for y in ys]
    if not xs_all:
        return []
    xlo, xhi = 0.0, max(xs_all)
    ylo, yhi = min(ys_all), min(max(ys_all), min(ys_all) + 3.0)
    ylo, yhi = ylo - 0.05 * (yhi - ylo), yhi
    sx = lambda x: x0 + PAD_L + (x - xlo) / (xhi - xlo or 1) * (W - PAD_L - PAD_R)
    sy = lambda y: PAD_T + (yhi - min(y, yhi)) / (yhi - ylo or 1) * (H - PAD_T - PAD_B)
    el = [f'<text x="{x0 + W / 2}" y="18" text-anchor="middle" font-size="13">{escape(title)}</text>',
          f'<rect x="{x0 + PAD_L}" y="{PAD_T}" width="{W - PAD_L - PAD_R}" height="{H - PAD_T - PAD_B}" fill="none" stroke="#999"/>']
    for t in ticks(xlo, xhi):
        el.append(f'<line x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{H - PAD_B}" y2="{H - PAD_B + 4}" stroke="#999"/>')
        el.append(f'<text x="{sx(t):.1f}" y="{H - PAD_B + 16}" text-anchor="middle" font-size="10">{t:g}</text>')
    for t in ticks(ylo, yhi):
        el.append(f'<line x1="{x0 + PAD_L}" x2="{x0 + W - PAD_R}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" stroke="#eee"/>')
        el.append(f'<text x="{x0 + PAD_L - 6}" y="{sy(t) + 3:.1f}" text-anchor="end" font-size="10">{t:g}</text>')
    el.append(f'<text x="{x0 + PAD_L + (W - PAD_L - PAD_R) / 2}" y="{H - 8}" text-anchor="middle" font-size="11">{escape(xlabel)}</text>')
    el.append(f'<text x="{x0 + 14}" y="{PAD_T + (H - PAD_T - PAD_B) / 2}" font-size="11" transform="rotate(-90 {x0 + 14} {PAD_T + (H - PAD_T - PAD_B) / 2})" text-anchor="middle">training loss (smoothed)</text>')
    for label, color, xs, ys in series:
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys))
        el.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.6"/>')
    for i, (label, color, _, _) in enumerate(series):
        y = PAD_T + 14 + 15 * i
        el.append(f'<line x1="{x0 + W - PAD_R - 190}" x2="{x0 + W - PAD_R - 172}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" stroke-width="2"/>')
        el.append(f'<text x="{x0 + W - PAD_R - 168}" y="{y}" font-size="10">{escape(label)}</text>')
    return el


def main():
    src, dst = sys.argv[1], sys.argv[2]
    res = json.load(open(src))
    left, right = [], []
    for i, r in enumerate(res["runs"]):
        color = COLORS[i % len(COLORS)]
        ys = smooth(r["loss"])
        label = f"{r['name']} ({r['tokens_per_s'] / 1e3:.0f}k tok/s)"
        steps = list(range(1, len(ys) + 1))
        left.append((label, color, steps, ys))
        per_step = r["wall_s"] / max(1, r["steps"])
        right.append((label, color, [s * per_step for s in steps], ys))
    cfg = res.get("config", {})
    caption = (f"{res.get('gpu', '?')}: {cfg.get('layers')} layers, d={cfg.get('d')}, {cfg.get('heads')} heads, "
               f"seq {cfg.get('seq')}, batch {cfg.get('batch')} (bench/gpu/train/train_lm.py)")
    body = panel(0, "loss per step", left, "step") + panel(W, "loss per second", right, "seconds (incl. validation)")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H + 20}" font-family="sans-serif">'
           f'<rect width="100%" height="100%" fill="white"/>' + "".join(body)
           + f'<text x="{W}" y="{H + 12}" text-anchor="middle" font-size="10" fill="#555">{escape(caption)}</text></svg>\n')
    open(dst, "w").write(svg)
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
