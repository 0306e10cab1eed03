// Float64 masked attention, the numerical oracle for the kernels (grammar/SPEC.md,
// "Semantics of attention"): O = softmax over allowed k of score(scale * q.k), V-weighted;
// rows with no allowed key give O = 0 and LSE = -inf.
import type { IrProgram } from '../ir/schema.ts';
import { evalMask } from './mask.ts';
import type { RuntimeInputs } from './runtime.ts';

export interface AttentionProblem {
  /** `[B, H, Nq, D]` */
  q: Float64Array;
  /** `[B, Hkv, Nk, D]` */
  k: Float64Array;
  /** `[B, Hkv, Nk, D]` */
  v: Float64Array;
  B: number;
  H: number;
  Hkv: number;
  Nq: number;
  Nk: number;
  D: number;
  /** Logit scale, default `1 / sqrt(D)`. */
  scale?: number;
  ir: IrProgram;
  /** Given runtime inputs (lsh-initialised ones are computed from q and k). */
  inputs?: RuntimeInputs;
  layer: number;
}

export interface AttentionResult {
  /** `[B, H, Nq, D]` */
  out: Float64Array;
  /** `[B, H, Nq]` natural-log log-sum-exp of the modified scores; -Infinity for empty rows. */
  lse: Float64Array;
}

/** One query row of one (b, h) as both passes walk it: its allowed keys and scaled logits. */
interface QueryRow {
  q: number;
  /** Index of the row in `[B, H, Nq]`; its q / O / dO elements start at `row * D`. */
  row: number;
  /** First element of the row's K / V head in `[B, Hkv, Nk, D]`. */
  kBase: number;
  allow: (q: number, k: number) => boolean;
  /** The score modifier of (l, h), or null. */
  modify: ((s: number, q: number, k: number) => number) | null;
  /** scale * q . k */
  logit: (k: number) => number;
}

function forEachQueryRow(p: AttentionProblem, visit: (r: QueryRow) => void): void {
  const { B, H, Hkv, Nq, Nk, D } = p;
  if (H % Hkv !== 0) throw new Error(`Hkv = ${Hkv} must divide H = ${H}`);
  if (p.q.length !== B * H * Nq * D) throw new Error('q must be [B, H, Nq, D]');
  if (p.k.length !== B * Hkv * Nk * D || p.v.length !== B * Hkv * Nk * D) throw new Error('k and v must be [B, Hkv, Nk, D]');
  const scale = p.scale ?? 1 / Math.sqrt(D);
  const mask = evalMask(p.ir, { sizes: { Nq, Nk, H, Hkv }, inputs: p.inputs, qk: { q: p.q, k: p.k, D, B } });
  const group = H / Hkv;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const allow = mask.element(p.layer, h, b);
      const modify = mask.score(p.layer, h, b) ?? null;
      const kBase = (b * Hkv + Math.floor(h / group)) * Nk * D;
      for (let q = 0; q < Nq; q++) {
        const row = (b * H + h) * Nq + q;
        const qBase = row * D;
        const logit = (k: number) => {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += p.q[qBase + d]! * p.k[kBase + k * D + d]!;
          return dot * scale;
        };
        visit({ q, row, kBase, allow, modify, logit });
      }
    }
  }
}

export function attentionReference(p: AttentionProblem): AttentionResult {
  const { B, H, Nq, Nk, D } = p;
  const out = new Float64Array(B * H * Nq * D);
  const lse = new Float64Array(B * H * Nq);
  const scores = new Float64Array(Nk);
  const allowed = new Uint8Array(Nk);
  forEachQueryRow(p, ({ q, row, kBase, allow, modify, logit }) => {
    const qBase = row * D;
    let max = -Infinity;
    for (let k = 0; k < Nk; k++) {
      allowed[k] = allow(q, k) ? 1 : 0;
      if (!allowed[k]) continue;
      const s = logit(k);
      const score = modify ? modify(s, q, k) : s;
      scores[k] = score;
      if (score > max) max = score;
    }
    if (max === -Infinity) { lse[row] = -Infinity; return; }
    let sum = 0;
    for (let k = 0; k < Nk; k++) {
      if (!allowed[k]) continue;
      const w = Math.exp(scores[k]! - max);
      sum += w;
      const vBase = kBase + k * D;
      for (let d = 0; d < D; d++) out[qBase + d] += w * p.v[vBase + d]!;
    }
    for (let d = 0; d < D; d++) out[qBase + d] /= sum;
    lse[row] = max + Math.log(sum);
  });
  return { out, lse };
}

export interface AttentionGradients {
  /** `[B, H, Nq, D]` */
  dq: Float64Array;
  /** `[B, Hkv, Nk, D]`, summed over the query heads of each KV group */
  dk: Float64Array;
  /** `[B, Hkv, Nk, D]` */
  dv: Float64Array;
}

/**
 * Float64 gradients of `attentionReference` given dO (`[B, H, Nq, D]`): dV = Pᵀ dO,
 * dS = P ∘ (dO Vᵀ − rowsum(dO ∘ O)) ∘ score', dQ = scale · dS K, dK = scale · dSᵀ Q. The
 * score modifier's derivative score' is taken by central differences (an oracle independent of
 * the emitter's symbolic one); masked elements and empty rows contribute nothing. Runtime
 * selections are constants (straight-through), as in the kernels.
 */
export function attentionBackwardReference(p: AttentionProblem, dout: Float64Array, fwd: AttentionResult = attentionReference(p)): AttentionGradients {
  const { B, H, Hkv, Nq, Nk, D } = p;
  if (dout.length !== B * H * Nq * D) throw new Error('dout must be [B, H, Nq, D]');
  const scale = p.scale ?? 1 / Math.sqrt(D);
  const dq = new Float64Array(B * H * Nq * D);
  const dk = new Float64Array(B * Hkv * Nk * D);
  const dv = new Float64Array(B * Hkv * Nk * D);
  forEachQueryRow(p, ({ q, row, kBase, allow, modify, logit }) => {
    const lse = fwd.lse[row]!;
    if (lse === -Infinity) return;
    const qBase = row * D;
    let delta = 0;
    for (let d = 0; d < D; d++) delta += dout[qBase + d]! * fwd.out[qBase + d]!;
    for (let k = 0; k < Nk; k++) {
      if (!allow(q, k)) continue;
      const s = logit(k);
      const prob = Math.exp((modify ? modify(s, q, k) : s) - lse);
      let grad = 1;
      if (modify) {
        const e = 1e-6 * Math.max(1, Math.abs(s));
        grad = (modify(s + e, q, k) - modify(s - e, q, k)) / (2 * e);
      }
      let dp = 0;
      const kvBase = kBase + k * D;
      for (let d = 0; d < D; d++) {
        dp += dout[qBase + d]! * p.v[kvBase + d]!;
        dv[kvBase + d] += prob * dout[qBase + d]!;
      }
      const ds = prob * (dp - delta) * grad * scale;
      for (let d = 0; d < D; d++) {
        dq[qBase + d] += ds * p.k[kvBase + d]!;
        dk[kvBase + d] += ds * p.q[qBase + d]!;
      }
    }
  });
  return { dq, dk, dv };
}
