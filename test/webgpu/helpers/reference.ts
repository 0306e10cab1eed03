// A small float64 attention oracle for the WebGPU tests, independent of the compiler:
// softmax(Q K^T * scale + score_mod) over allowed keys; rows with no allowed key give
// O = 0 and LSE = -inf. Layout [B, H, N, D]; K and V have Hkv heads (GQA).

export interface AttentionProblem {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kLen: number;
  headDim: number;
  scale: number;
  layer: number;
}

export type ElementMask = (b: number, l: number, h: number, q: number, k: number) => boolean;
export type ScoreMod = (s: number, b: number, l: number, h: number, q: number, k: number) => number;

export interface ReferenceOutputs {
  o: Float64Array;
  lse: Float64Array;
}

export function referenceAttention(
  p: AttentionProblem,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  allowed: ElementMask,
  scoreMod: ScoreMod = (s) => s,
): ReferenceOutputs {
  const { batch, heads, kvHeads, qLen, kLen, headDim: d, layer } = p;
  const group = heads / kvHeads;
  const o = new Float64Array(batch * heads * qLen * d);
  const lse = new Float64Array(batch * heads * qLen);
  const logits = new Float64Array(kLen);
  const keep = new Uint8Array(kLen);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvBase = (b * kvHeads + Math.floor(h / group)) * kLen;
      for (let i = 0; i < qLen; i++) {
        const row = (b * heads + h) * qLen + i;
        let max = -Infinity;
        for (let j = 0; j < kLen; j++) {
          keep[j] = allowed(b, layer, h, i, j) ? 1 : 0;
          if (!keep[j]) continue;
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q[row * d + c]! * k[(kvBase + j) * d + c]!;
          logits[j] = scoreMod(dot * p.scale, b, layer, h, i, j);
          max = Math.max(max, logits[j]!);
        }
        if (max === -Infinity) {
          lse[row] = -Infinity; // o stays 0
          continue;
        }
        let sum = 0;
        for (let j = 0; j < kLen; j++) {
          if (!keep[j]) continue;
          const w = Math.exp(logits[j]! - max);
          sum += w;
          for (let c = 0; c < d; c++) o[row * d + c]! += w * v[(kvBase + j) * d + c]!;
        }
        for (let c = 0; c < d; c++) o[row * d + c]! /= sum;
        lse[row] = max + Math.log(sum);
      }
    }
  }
  return { o, lse };
}
