"""CPU model (NumPy, float64) of the CUDA backward pass in codegen/cuda/runtime/attnc_bwd_sm80.cuh.

Re-implements the kernels' tiled algorithm step for step -- the same hooks (Python ports of
the fixture headers' num_key_tiles / key_tile / num_query_tiles / query_tile / mask /
score_mod / score_mod_grad), the same tile loops (dK/dV per key tile over the transposed
schedule and the GQA group, in query chunks of QC rows; dQ per query tile over the forward
schedule, in key chunks of 64), the same delta = rowsum(dO * O) trick, the same LSE2 = +inf
handling of empty / out-of-range rows, and the same rule that mask() runs only on PARTIAL
tiles -- and checks it:
  1. the transposed hooks list exactly the transpose of the forward schedule (same FULL flags,
     no duplicates), over many lengths and heads;
  2. FULL tiles contain no disallowed element and unscheduled tiles no allowed one;
  3. tiled gradients == dense analytic gradients (float64, ~1e-12);
  4. dense analytic gradients == central finite differences (random directions + single
     elements), including a softcap score_mod (score_mod_grad = 1 - tanh^2) and GQA.
Run: python3 bench/gpu/bwd_model.py   (needs only numpy; no GPU)
"""

from __future__ import annotations

import math
import sys

import numpy as np

BM = 128
LOG2E = 1.4426950408889634


def cdiv(a, b):
    return -(-a // b)


# ---------------------------------------------------------------------------
# Python ports of the fixture headers (bench/gpu/patterns/*.cuh)
# ---------------------------------------------------------------------------
class Pattern:
    BN = 128
    has_score_mod = False

    def setup(self, Nq, Nk, H):
        pass

    def score_mod(self, s, h, q, k):
        return s

    def score_mod_grad(self, s, h, q, k):
        return np.ones_like(s)


class Causal(Pattern):
    name = "causal"

    def num_key_tiles(self, P, h, qt):
        q_last = min((qt + 1) * BM, P["Nq"]) - 1
        return min(q_last // self.BN + 1, cdiv(P["Nk"], self.BN))

    def key_tile(self, P, h, qt, j):
        return j, (j + 1) * self.BN - 1 <= qt * BM

    def mask(self, h, q, k):
        return k <= q

    def num_query_tiles(self, P, h, kt):
        n_q = cdiv(P["Nq"], BM)
        return n_q - kt * self.BN // BM if kt * self.BN < P["Nq"] else 0

    def query_tile(self, P, h, kt, j):
        qt = kt * self.BN // BM + j
        return qt, (kt + 1) * self.BN - 1 <= qt * BM


class Softcap(Causal):
    """Model-only: causal + tanh softcap, to test the score_mod_grad path."""
    name = "causal_softcap"
    has_score_mod = True
    cap = 3.0

    def score_mod(self, s, h, q, k):
        return self.cap * np.tanh(s / self.cap)

    def score_mod_grad(self, s, h, q, k):
        return 1.0 - np.tanh(s / self.cap) ** 2


class Sliding(Pattern):
    name = "sliding_window"
    W = 1024

    def first_key_tile(self, qt):
        return max(0, qt * BM - self.W + 1) // self.BN

    def num_key_tiles(self, P, h, qt):
        q_last = min((qt + 1) * BM, P["Nq"]) - 1
        return min(q_last, P["Nk"] - 1) // self.BN - self.first_key_tile(qt) + 1

    def key_tile(self, P, h, qt, j):
        kt = self.first_key_tile(qt) + j
        q_first, q_last = qt * BM, min((qt + 1) * BM, P["Nq"]) - 1
        kf, kl = kt * self.BN, kt * self.BN + self.BN - 1
        return kt, kl <= q_first and q_last - kf < self.W

    def mask(self, h, q, k):
        return (k <= q) & (q - k < self.W)

    def num_query_tiles(self, P, h, kt):
        if kt * self.BN >= P["Nq"]:
            return 0
        n_q = cdiv(P["Nq"], BM)
        lo = kt * self.BN // BM
        hi = min(n_q - 1, (kt * self.BN + self.BN + self.W - 2) // BM)
        return hi - lo + 1

    def query_tile(self, P, h, kt, j):
        qt = kt * self.BN // BM + j
        q_first, q_last = qt * BM, min((qt + 1) * BM, P["Nq"]) - 1
        kf, kl = kt * self.BN, kt * self.BN + self.BN - 1
        return qt, kl <= q_first and q_last - kf < self.W


class SlidingSmall(Sliding):
    """Model-only: window 300 (not a tile multiple) so short lengths have several window tiles."""
    name = "sliding_300"
    W = 300


class S2(Pattern):
    name = "s2"
    BN = 64
    LB, STRIDE = 16, 8

    def is_vertical(self, kb, h):
        return (kb + h % self.STRIDE + 1) % self.STRIDE == 0

    def rng(self, P, h, qt):
        q_last = min((qt + 1) * BM, P["Nq"]) - 1
        n_kb = cdiv(P["Nk"], self.BN)
        band_lo = max(0, qt * BM // self.BN - (self.LB - 1))
        band_hi = min(q_last // self.BN, n_kb - 1)
        first_v = self.STRIDE - 1 - h % self.STRIDE
        v_end = min(band_lo, n_kb)
        n_v = (v_end - first_v + self.STRIDE - 1) // self.STRIDE if v_end > first_v else 0
        return band_lo, band_hi, first_v, n_v

    def num_key_tiles(self, P, h, qt):
        lo, hi, fv, nv = self.rng(P, h, qt)
        return nv + max(0, hi - lo + 1)

    def key_tile(self, P, h, qt, j):
        lo, hi, fv, nv = self.rng(P, h, qt)
        if j < nv:
            return fv + self.STRIDE * j, True
        kb = lo + (j - nv)
        q_first = qt * BM
        qb_last = (min((qt + 1) * BM, P["Nq"]) - 1) // self.BN
        full = kb * self.BN + self.BN - 1 <= q_first and (qb_last - kb < self.LB or self.is_vertical(kb, h))
        return kb, full

    def mask(self, h, q, k):
        qb, kb = q // self.BN, k // self.BN
        return (k <= q) & ((qb - kb < self.LB) | ((kb + h % self.STRIDE + 1) % self.STRIDE == 0))

    def num_query_tiles(self, P, h, kt):
        if kt * self.BN >= P["Nq"]:
            return 0
        n_q = cdiv(P["Nq"], BM)
        lo = kt * self.BN // BM
        hi = n_q - 1 if self.is_vertical(kt, h) else min(n_q - 1, (kt + self.LB - 1) * self.BN // BM)
        return hi - lo + 1

    def query_tile(self, P, h, kt, j):
        qt = kt * self.BN // BM + j
        band_lo = max(0, qt * BM // self.BN - (self.LB - 1))
        if kt < band_lo:
            return qt, True
        q_first = qt * BM
        qb_last = (min((qt + 1) * BM, P["Nq"]) - 1) // self.BN
        full = kt * self.BN + self.BN - 1 <= q_first and (qb_last - kt < self.LB or self.is_vertical(kt, h))
        return qt, full


class Csr(Pattern):
    """Mirror of fixtures.CsrRandom (same generator) and csr_random.cuh."""
    name = "csr_random"
    has_score_mod = True
    density, slope = 0.3, 0.002

    def setup(self, Nq, Nk, H):
        rng = np.random.default_rng(1234 + Nq + 7 * H)
        nqt, nkt = cdiv(Nq, BM), cdiv(Nk, self.BN)
        self.state = np.zeros((H, nqt, nkt), dtype=np.int8)
        offsets, entries = [0], []
        for h in range(H):
            for qt in range(nqt):
                if qt % 6 != 5:
                    count = max(1, int(self.density * nkt))
                    for kt in rng.choice(nkt, size=count, replace=False):
                        full = 0 if qt % 5 == 0 else int(rng.integers(0, 2))
                        entries.append(int(kt) << 1 | full)
                        self.state[h, qt, kt] = 1 + full
                offsets.append(len(entries))
        self.off, self.ent = offsets, entries
        # same algorithm as fixtures.transpose_csr (not imported: fixtures.py needs torch)
        self.toff, self.tent = _transpose_csr(offsets, entries, H, nqt, nkt)
        self.nqt, self.nkt = nqt, nkt

    def num_key_tiles(self, P, h, qt):
        i = h * self.nqt + qt
        return self.off[i + 1] - self.off[i]

    def key_tile(self, P, h, qt, j):
        e = self.ent[self.off[h * self.nqt + qt] + j]
        return e >> 1, bool(e & 1)

    def num_query_tiles(self, P, h, kt):
        i = h * self.nkt + kt
        return self.toff[i + 1] - self.toff[i]

    def query_tile(self, P, h, kt, j):
        e = self.tent[self.toff[h * self.nkt + kt] + j]
        return e >> 1, bool(e & 1)

    def mask(self, h, q, k):
        return (q % 37 != 0) & ((q + 3 * k + h) % 7 != 0)

    def score_mod(self, s, h, q, k):
        return s - self.slope * (h + 1) * np.abs(q - k)


def _transpose_csr(offsets, entries, H, nqt, nkt):
    rows = [[] for _ in range(H * nkt)]
    for h in range(H):
        for qt in range(nqt):
            i = h * nqt + qt
            for e in entries[offsets[i]:offsets[i + 1]]:
                rows[h * nkt + (e >> 1)].append(qt << 1 | (e & 1))
    t_off, t_ent = [0], []
    for r in rows:
        t_ent.extend(r)
        t_off.append(len(t_ent))
    return t_off, t_ent


# ---------------------------------------------------------------------------
# Dense float64 reference (mask = scheduled tiles + element mask on PARTIAL tiles)
# ---------------------------------------------------------------------------
def dense_allowed(pat, P, H):
    Nq, Nk = P["Nq"], P["Nk"]
    A = np.zeros((H, Nq, Nk), dtype=bool)
    for h in range(H):
        for qt in range(cdiv(Nq, BM)):
            for j in range(pat.num_key_tiles(P, h, qt)):
                kt, full = pat.key_tile(P, h, qt, j)
                q = np.arange(qt * BM, min(qt * BM + BM, Nq))[:, None]
                k = np.arange(kt * pat.BN, min(kt * pat.BN + pat.BN, Nk))[None, :]
                A[h, q, k] = True if full else pat.mask(h, q, k)
    return A


def dense_forward(pat, q, k, v, A, scale):
    B, H, Nq, D = q.shape
    G = H // k.shape[1]
    kf, vf = np.repeat(k, G, axis=1), np.repeat(v, G, axis=1)
    s = np.einsum("bhqd,bhkd->bhqk", q, kf) * scale
    qi, ki = np.arange(Nq)[:, None], np.arange(k.shape[2])[None, :]
    x = np.stack([pat.score_mod(s[:, h], h, qi, ki) for h in range(H)], axis=1) if pat.has_score_mod else s
    x = np.where(A[None], x, -np.inf)
    m = x.max(-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(x - m)
    l = e.sum(-1, keepdims=True)
    lse = np.where(l[..., 0] > 0, np.log(np.where(l > 0, l, 1.0))[..., 0] + m[..., 0], -np.inf)
    p = np.where(l > 0, e / np.where(l > 0, l, 1.0), 0.0)
    return np.einsum("bhqk,bhkd->bhqd", p, vf), lse, p, s


def dense_backward(pat, q, k, v, A, scale, do):
    B, H, Nq, D = q.shape
    Hkv = k.shape[1]
    G = H // Hkv
    o, lse, p, s = dense_forward(pat, q, k, v, A, scale)
    kf, vf = np.repeat(k, G, axis=1), np.repeat(v, G, axis=1)
    dp = np.einsum("bhqd,bhkd->bhqk", do, vf)
    ds = p * (dp - (do * o).sum(-1, keepdims=True))
    if pat.has_score_mod:
        qi, ki = np.arange(Nq)[:, None], np.arange(k.shape[2])[None, :]
        ds = ds * np.stack([pat.score_mod_grad(s[:, h], h, qi, ki) for h in range(H)], axis=1)
    dq = np.einsum("bhqk,bhkd->bhqd", ds, kf) * scale
    dk = np.einsum("bhqk,bhqd->bhkd", ds, q).reshape(B, Hkv, G, -1, D).sum(2) * scale
    dv = np.einsum("bhqk,bhqd->bhkd", p, do).reshape(B, Hkv, G, -1, D).sum(2)
    return dq, dk, dv, o, lse


# ---------------------------------------------------------------------------
# The tiled algorithm of attnc_bwd_sm80.cuh
# ---------------------------------------------------------------------------
def _pad_rows(x, r0, n):
    """Rows [r0, r0+n) of x (last axis D), zero-filled past the end (the cp.async zero fill)."""
    out = np.zeros((n, x.shape[-1]))
    m = max(0, min(n, x.shape[0] - r0))
    out[:m] = x[r0:r0 + m]
    return out


def _elementwise(pat, P, acc, dpv, lse2, delta, h, qidx, kidx, check, full, scale):
    """bwd_element on a block: returns (P, dS). qidx/kidx broadcast to acc's shape."""
    if pat.has_score_mod:
        s = acc * scale
        x = pat.score_mod(s, h, qidx, kidx) * LOG2E
        grad = pat.score_mod_grad(s, h, qidx, kidx)
    else:
        x, grad = acc * scale * LOG2E, 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        p = np.exp2(x - lse2)
    if check:
        ok = kidx < P["Nk"]
        if not full:
            inr = (qidx < P["Nq"]) & ok
            # mask() only for in-range (q, k) and PARTIAL tiles
            mk = np.zeros(np.broadcast(qidx, kidx).shape, dtype=bool)
            qq, kk = np.broadcast_arrays(qidx, kidx)
            mk[inr] = pat.mask(h, qq[inr], kk[inr])
            ok = ok & inr & mk
        p = np.where(ok, p, 0.0)
    return p, p * (dpv - delta) * grad


def tiled_backward(pat, q, k, v, o, lse, do, scale):
    B, H, Nq, D = q.shape
    Hkv, Nk = k.shape[1], k.shape[2]
    G, BN = H // Hkv, pat.BN
    P = {"Nq": Nq, "Nk": Nk}
    QC = 32 if D == 128 else 64
    KC = 64
    delta = (do * o).sum(-1)                                   # pre kernel
    lse2 = np.where(np.isfinite(lse), lse * LOG2E, np.inf)     # lse2_of(): -inf -> +inf
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    nqt, nkt = cdiv(Nq, BM), cdiv(Nk, BN)

    def rows_of(arr, r0, n, fill):
        out = np.full(n, fill, dtype=float)
        m = max(0, min(n, arr.shape[0] - r0))
        out[:m] = arr[r0:r0 + m]
        return out

    for b in range(B):
        # ---- dK / dV: grid (nkt, Hkv, B)
        for hk in range(Hkv):
            for kt in range(nkt):
                k0 = kt * BN
                Kt, Vt = _pad_rows(k[b, hk], k0, BN), _pad_rows(v[b, hk], k0, BN)
                ragged = k0 + BN > Nk
                dK, dV = np.zeros((BN, D)), np.zeros((BN, D))
                seen = set()
                for hi in range(G):
                    h = hk * G + hi
                    for j in range(pat.num_query_tiles(P, h, kt)):
                        qt, full = pat.query_tile(P, h, kt, j)
                        assert (h, qt) not in seen, "query tile listed twice"
                        seen.add((h, qt))
                        q0 = qt * BM
                        Qt, dOt = _pad_rows(q[b, h], q0, BM), _pad_rows(do[b, h], q0, BM)
                        L2 = rows_of(lse2[b, h], q0, BM, np.inf)
                        Dl = rows_of(delta[b, h], q0, BM, 0.0)
                        for c in range(BM // QC):
                            r = slice(c * QC, (c + 1) * QC)
                            st = Kt @ Qt[r].T                  # S^T  [BN, QC]
                            dpt = Vt @ dOt[r].T                # dP^T [BN, QC]
                            qidx = (q0 + np.arange(c * QC, (c + 1) * QC))[None, :]
                            kidx = (k0 + np.arange(BN))[:, None]
                            pt, dst = _elementwise(pat, P, st, dpt, L2[r][None, :], Dl[r][None, :], h,
                                                   qidx, kidx, (not full) or ragged, full, scale)
                            dV += pt @ dOt[r]
                            dK += dst @ Qt[r]
                n = min(BN, Nk - k0)
                dk[b, hk, k0:k0 + n] = (dK * scale)[:n]
                dv[b, hk, k0:k0 + n] = dV[:n]
        # ---- dQ: grid (nqt, H, B), forward schedule
        for h in range(H):
            hk = h // G
            for qt in range(nqt):
                q0 = qt * BM
                Qt, dOt = _pad_rows(q[b, h], q0, BM), _pad_rows(do[b, h], q0, BM)
                L2 = rows_of(lse2[b, h], q0, BM, np.inf)[:, None]
                Dl = rows_of(delta[b, h], q0, BM, 0.0)[:, None]
                dQ = np.zeros((BM, D))
                for j in range(pat.num_key_tiles(P, h, qt)):
                    kt, full = pat.key_tile(P, h, qt, j)
                    k0 = kt * BN
                    Kt, Vt = _pad_rows(k[b, hk], k0, BN), _pad_rows(v[b, hk], k0, BN)
                    check = (not full) or k0 + BN > Nk
                    for c in range(BN // KC):
                        r = slice(c * KC, (c + 1) * KC)
                        s = Qt @ Kt[r].T
                        dpm = dOt @ Vt[r].T
                        qidx = (q0 + np.arange(BM))[:, None]
                        kidx = (k0 + np.arange(c * KC, (c + 1) * KC))[None, :]
                        _, ds = _elementwise(pat, P, s, dpm, L2, Dl, h, qidx, kidx, check, full, scale)
                        dQ += ds @ Kt[r]
                n = min(BM, Nq - q0)
                dq[b, h, q0:q0 + n] = (dQ * scale)[:n]
    return dq, dk, dv


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------
def check_schedules(pat, sizes, H):
    bad = 0
    for Nq, Nk in sizes:
        pat.setup(Nq, Nk, H)
        P = {"Nq": Nq, "Nk": Nk}
        for h in range(H):
            fwd = {}
            for qt in range(cdiv(Nq, BM)):
                for j in range(pat.num_key_tiles(P, h, qt)):
                    kt, full = pat.key_tile(P, h, qt, j)
                    assert (qt, kt) not in fwd
                    fwd[(qt, kt)] = bool(full)
            bwd = {}
            for kt in range(cdiv(Nk, pat.BN)):
                for j in range(pat.num_query_tiles(P, h, kt)):
                    qt, full = pat.query_tile(P, h, kt, j)
                    if (qt, kt) in bwd:
                        bad += 1
                    bwd[(qt, kt)] = bool(full)
            if fwd != bwd:
                bad += 1
                if bad < 5:
                    print(f"   schedule mismatch {pat.name} Nq={Nq} Nk={Nk} h={h}: "
                          f"only fwd {sorted(set(fwd) - set(bwd))[:6]} only bwd {sorted(set(bwd) - set(fwd))[:6]} "
                          f"flags {[x for x in fwd if x in bwd and fwd[x] != bwd[x]][:6]}")
            # FULL tiles contain no disallowed in-range element; unscheduled tiles nothing allowed
            qi = np.arange(Nq)[:, None]
            ki = np.arange(Nk)[None, :]
            m = pat.mask(h, qi, ki) if pat.name != "csr_random" else None
            if m is not None:
                for (qt, kt), full in fwd.items():
                    blk = m[qt * BM:(qt + 1) * BM, kt * pat.BN:(kt + 1) * pat.BN]
                    if full and not blk.all():
                        bad += 1
                cov = np.zeros_like(m)
                for (qt, kt) in fwd:
                    cov[qt * BM:(qt + 1) * BM, kt * pat.BN:(kt + 1) * pat.BN] = True
                if (m & ~cov).any():
                    bad += 1
    return bad


def rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def check_gradients(pat, B, H, Hkv, Nq, Nk, D, seed):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((B, H, Nq, D))
    k = rng.standard_normal((B, Hkv, Nk, D))
    v = rng.standard_normal((B, Hkv, Nk, D))
    do = rng.standard_normal((B, H, Nq, D))
    scale = 1.0 / math.sqrt(D)
    pat.setup(Nq, Nk, H)
    A = dense_allowed(pat, {"Nq": Nq, "Nk": Nk}, H)
    dq, dk, dv, o, lse = dense_backward(pat, q, k, v, A, scale, do)
    tq, tk, tv = tiled_backward(pat, q, k, v, o, lse, do, scale)
    errs = {"dq": rel(tq, dq), "dk": rel(tk, dk), "dv": rel(tv, dv)}
    empty = int((~A.any(-1)).sum())
    # finite differences of L = sum(O * dO) along random directions and on single elements
    loss = lambda qq, kk, vv: float((dense_forward(pat, qq, kk, vv, A, scale)[0] * do).sum())
    eps, fd = 1e-5, 0.0
    for _ in range(2):
        u = [rng.standard_normal(x.shape) for x in (q, k, v)]
        num = (loss(q + eps * u[0], k + eps * u[1], v + eps * u[2])
               - loss(q - eps * u[0], k - eps * u[1], v - eps * u[2])) / (2 * eps)
        ana = float((dq * u[0]).sum() + (dk * u[1]).sum() + (dv * u[2]).sum())
        fd = max(fd, abs(num - ana) / max(abs(ana), 1e-12))
    for which, x, g in (("q", q, dq), ("k", k, dk), ("v", v, dv)):
        for _ in range(3):
            idx = tuple(int(rng.integers(0, s)) for s in x.shape)
            xp, xm = x.copy(), x.copy()
            xp[idx] += eps
            xm[idx] -= eps
            args_p = {"q": (xp, k, v), "k": (q, xp, v), "v": (q, k, xp)}[which]
            args_m = {"q": (xm, k, v), "k": (q, xm, v), "v": (q, k, xm)}[which]
            num = (loss(*args_p) - loss(*args_m)) / (2 * eps)
            fd = max(fd, abs(num - g[idx]) / max(abs(g).max(), 1e-12))
    return errs, fd, empty


def main():
    ok = True
    print("1-2. transposed schedule == transpose of the forward schedule; FULL flags exact")
    sizes = [(n, n) for n in (1, 64, 127, 128, 129, 300, 777, 1000, 1024, 2049, 4097)] + \
            [(1000, 777), (777, 1000), (256, 2048), (2048, 256)]
    for pat in (Causal(), Sliding(), SlidingSmall(), S2(), Csr()):
        szs = [s for s in sizes if s[0] == s[1]] if isinstance(pat, Csr) else sizes
        bad = check_schedules(pat, szs, H=9 if isinstance(pat, S2) else 3)
        ok &= bad == 0
        print(f"   {pat.name:15s} {'PASS' if bad == 0 else f'FAIL ({bad})'}")
    print("3-4. tiled model vs dense analytic (float64) vs finite differences")
    cases = [  # pattern, B, H, Hkv, Nq, Nk, D
        (Causal(), 2, 4, 2, 300, 300, 16), (Causal(), 1, 2, 1, 777, 777, 128),
        (Softcap(), 1, 4, 2, 333, 333, 64), (SlidingSmall(), 1, 2, 1, 1000, 1000, 16),
        (Sliding(), 1, 2, 2, 1300, 1300, 16), (S2(), 1, 8, 2, 1500, 1500, 16),
        (S2(), 1, 2, 1, 777, 777, 64), (Csr(), 2, 4, 2, 1000, 1000, 16), (Csr(), 1, 2, 1, 777, 777, 128),
    ]
    for i, (pat, B, H, Hkv, Nq, Nk, D) in enumerate(cases):
        errs, fd, empty = check_gradients(pat, B, H, Hkv, Nq, Nk, D, seed=i)
        good = max(errs.values()) < 1e-10 and fd < 1e-6
        ok &= good
        print(f"   {pat.name:15s} B={B} H={H} Hkv={Hkv} N={Nq} D={D:3d}: tiled-vs-dense "
              f"dq {errs['dq']:.1e} dk {errs['dk']:.1e} dv {errs['dv']:.1e}; dense-vs-FD {fd:.1e}; "
              f"empty rows {empty}  {'PASS' if good else 'FAIL'}")
    print("ALL PASS" if ok else "SOME FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
