// Python helpers for the runtime selections of grammar/SPEC.md, shared by the emitted CUDA
// loader module and the FlexAttention module so both compute the same lsh buckets and top-k
// key blocks: the lsh projection (bit-exact, numpy), lsh buckets and pooled top-k (torch).
// The modules that include them import numpy as np and torch.
import { code } from '../lower/text.ts';

export function pythonSelectionHelpers(): string {
  return code`
    def _fmix32(x):
        x = x ^ (x >> np.uint32(16))
        x = x * np.uint32(0x85EBCA6B)
        x = x ^ (x >> np.uint32(13))
        x = x * np.uint32(0xC2B2AE35)
        return x ^ (x >> np.uint32(16))


    def lsh_projection(seed, D, buckets):
        """R [D, buckets/2] of grammar/SPEC.md (lsh), exactly, as float32."""
        with np.errstate(over="ignore"):
            s = np.uint32(seed & 0xFFFFFFFF)
            x = _fmix32(np.uint32(s * np.uint32(0x9E3779B1) + np.uint32(0x165667B1)))
            d = np.arange(D, dtype=np.uint32)[:, None]
            j = np.arange(buckets // 2, dtype=np.uint32)[None, :]
            x = _fmix32(x ^ (d * np.uint32(0x85EBCA77)))
            h0 = _fmix32(x ^ (j * np.uint32(0xC2B2AE3D)))
            h1 = _fmix32(h0 ^ np.uint32(0x27D4EB2F))
            u = (h0 & 0xFFFF).astype(np.int64) + (h0 >> 16) + (h1 & 0xFFFF) + (h1 >> 16)
        return ((u.astype(np.int64) - 131070).astype(np.float32) / np.float32(65536.0))


    def lsh_buckets(x, buckets, seed):
        """Bucket per row of x [B, heads, N, D]: argmax of [xR, -xR] (first maximum)."""
        R = torch.from_numpy(lsh_projection(seed, x.shape[-1], buckets)).to(x.device)
        xr = x.float() @ R
        return torch.argmax(torch.cat([xr, -xr], dim=-1), dim=-1).to(torch.int32)


    def topk_blocks(q, k, topk, block, causal):
        """Per (b, h, query block) the topk key blocks by mean(Q rows) . mean(K rows), -1 padded."""
        B, H, Nq, D = q.shape
        Hkv, Nk = k.shape[1], k.shape[2]
        nqb, nkb = -(-Nq // block), -(-Nk // block)

        def pooled(x, n, nb):
            pad = nb * block - n
            xs = torch.nn.functional.pad(x.float(), (0, 0, 0, pad)).view(x.shape[0], x.shape[1], nb, block, D).sum(3)
            counts = torch.clamp(n - torch.arange(nb, device=x.device) * block, max=block).float()
            return xs / counts[None, None, :, None]

        qm = pooled(q, Nq, nqb)
        km = pooled(k, Nk, nkb).repeat_interleave(H // Hkv, dim=1)
        scores = qm @ km.transpose(-1, -2)
        qb = torch.arange(nqb, device=q.device)[:, None]
        kb = torch.arange(nkb, device=q.device)[None, :]
        valid = (kb <= qb) if causal else torch.ones_like(kb <= qb)
        scores = torch.where(valid, scores, torch.full_like(scores, float("-inf")))
        order = torch.sort(scores, dim=-1, descending=True, stable=True).indices[..., :topk]
        keep = torch.gather(valid.expand(B, H, nqb, nkb), -1, order)
        out = torch.where(keep, order, torch.full_like(order, -1)).to(torch.int32)
        if out.shape[-1] < topk:
            out = torch.nn.functional.pad(out, (0, topk - out.shape[-1]), value=-1)
        return out.contiguous()
  `;
}
