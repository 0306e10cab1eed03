"""Python twins of the hand-written pattern headers in bench/gpu/patterns/.

Each fixture gives what the GPU check needs to test its header: the loader metadata,
runtime inputs and tables, the dense element mask and additive score bias for the
float64 reference, and the FlexAttention mask_mod / score_mod for the timing baseline.
"""

from __future__ import annotations

import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BLOCK_M = 128


class Fixture:
    name = ""
    block_n = 128
    head_dependent = False  # whether the mask depends on h (Flex block mask per head)
    pattern_fields: list[dict] = []

    def meta(self, path: str) -> dict:
        return {
            "cubin": os.path.join(HERE, "build", f"{self.name}.cubin"),
            "header": os.path.join(HERE, "patterns", f"{self.name}.cuh"),
            "include_dirs": [os.path.join(ROOT, "codegen", "cuda", "runtime")],
            "block_n": self.block_n,
            "num_layers": 1,
            "pattern_fields": self.pattern_fields,
            "tables": {},
            "path": path,
        }

    def setup(self, Nq: int, Nk: int, H: int, device) -> dict:
        """Runtime inputs (tables included) for one problem size."""
        return {}

    def allowed(self, q: torch.Tensor, k: torch.Tensor, h: int, inputs: dict) -> torch.Tensor:
        raise NotImplementedError

    def bias(self, q: torch.Tensor, k: torch.Tensor, h: int, inputs: dict):
        return None

    def flex(self, inputs: dict):
        """(mask_mod, score_mod or None) for FlexAttention."""
        raise NotImplementedError


class Causal(Fixture):
    name = "causal"

    def allowed(self, q, k, h, inputs):
        return k <= q

    def flex(self, inputs):
        return (lambda b, h, q, kv: kv <= q), None


class SlidingWindow(Fixture):
    name = "sliding_window"
    window = 1024

    def allowed(self, q, k, h, inputs):
        return (k <= q) & (q - k < self.window)

    def flex(self, inputs):
        w = self.window
        return (lambda b, h, q, kv: (kv <= q) & (q - kv < w)), None


class S2(Fixture):
    name = "s2"
    block_n = 64
    head_dependent = True

    def allowed(self, q, k, h, inputs):
        qb, kb = q // 64, k // 64
        return (k <= q) & ((qb - kb < 16) | ((kb + h % 8 + 1) % 8 == 0))

    def flex(self, inputs):
        def mask_mod(b, h, q, kv):
            qb, kb = q // 64, kv // 64
            return (kv <= q) & ((qb - kb < 16) | ((kb + h % 8 + 1) % 8 == 0))

        return mask_mod, None


def transpose_csr(offsets, entries, H, nqt, nkt):
    """Per (h, query tile) entries (kt << 1 | full) -> per (h, key tile) entries (qt << 1 | full)."""
    rows = [[] for _ in range(H * nkt)]
    for h in range(H):
        for qt in range(nqt):
            i = h * nqt + qt
            for e in entries[offsets[i]:offsets[i + 1]]:
                rows[h * nkt + (e >> 1)].append(qt << 1 | (e & 1))
    t_offsets, t_entries = [0], []
    for r in rows:
        t_entries.extend(r)
        t_offsets.append(len(t_entries))
    return t_offsets, t_entries


class CsrRandom(Fixture):
    """Random key tiles per (h, query tile) from CSR tables, element mask on partial
    tiles, ALiBi-like score_mod; some query tiles empty, some all-partial."""

    name = "csr_random"
    head_dependent = True
    pattern_fields = [
        {"name": "num_q_tiles", "type": "i32"},
        {"name": "slope", "type": "f32"},
        {"name": "offsets", "type": "ptr"},
        {"name": "entries", "type": "ptr"},
        # backward only: the transposed table (per key tile, the query tiles touching it)
        {"name": "num_k_tiles", "type": "i32"},
        {"name": "t_offsets", "type": "ptr"},
        {"name": "t_entries", "type": "ptr"},
    ]
    density = 0.3

    def setup(self, Nq, Nk, H, device):
        rng = np.random.default_rng(1234 + Nq + 7 * H)
        nqt, nkt = -(-Nq // BLOCK_M), -(-Nk // self.block_n)
        state = np.zeros((H, nqt, nkt), dtype=np.int8)  # 0 empty, 1 partial, 2 full
        offsets, entries = [0], []
        for h in range(H):
            for qt in range(nqt):
                if qt % 6 != 5:  # every 6th query tile visits nothing
                    count = max(1, int(self.density * nkt))
                    for kt in rng.choice(nkt, size=count, replace=False):  # random order
                        full = 0 if qt % 5 == 0 else int(rng.integers(0, 2))
                        entries.append(int(kt) << 1 | full)
                        state[h, qt, kt] = 1 + full
                offsets.append(len(entries))
        t_offsets, t_entries = transpose_csr(offsets, entries, H, nqt, nkt)
        return {
            "slope": 0.002,
            "offsets": torch.tensor(offsets, dtype=torch.int32, device=device),
            "entries": torch.tensor(entries or [0], dtype=torch.int32, device=device),
            "t_offsets": torch.tensor(t_offsets, dtype=torch.int32, device=device),
            "t_entries": torch.tensor(t_entries or [0], dtype=torch.int32, device=device),
            "_state": torch.from_numpy(state).to(device),
        }

    @staticmethod
    def _element_mask(q, k, h):
        return (q % 37 != 0) & ((q + 3 * k + h) % 7 != 0)

    def allowed(self, q, k, h, inputs):
        st = inputs["_state"][h][q // BLOCK_M, k // self.block_n]
        return (st == 2) | ((st == 1) & self._element_mask(q, k, h))

    def bias(self, q, k, h, inputs):
        return -inputs["slope"] * (h + 1) * (q - k).abs().double()

    def flex(self, inputs):
        state, slope, bn = inputs["_state"], inputs["slope"], self.block_n

        def mask_mod(b, h, q, kv):
            st = state[h, q // BLOCK_M, kv // bn]
            return (st == 2) | ((st == 1) & (q % 37 != 0) & ((q + 3 * kv + h) % 7 != 0))

        def score_mod(score, b, h, q, kv):
            return score - slope * (h + 1) * (q - kv).abs()

        return mask_mod, score_mod


FIXTURES = [Causal(), SlidingWindow(), S2(), CsrRandom()]
