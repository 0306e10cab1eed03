// Scalar helpers called by the generated pattern hooks (codegen/lower prints calls to them).
// Host and device: the same header is compiled by nvcc into the kernels and by a host C++
// compiler in the tests that execute the generated hooks. Exact .attn semantics
// (grammar/SPEC.md): floor division and modulo with x // 0 = 0 and x % 0 = 0, round half away
// from zero.
#pragma once

#include <math.h>

#ifndef __CUDACC__
#ifndef __host__
#define __host__
#endif
#ifndef __device__
#define __device__
#endif
#ifndef __forceinline__
#define __forceinline__ inline
#endif
#endif

#define ATTNC_HD __host__ __device__ __forceinline__
#define ATTNC_INF (__builtin_huge_valf())
#define ATTNC_NAN (__builtin_nanf(""))

ATTNC_HD int attnc_floordiv(int a, int b) {
  if (b == 0) return 0;
  const int q = a / b;
  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}
ATTNC_HD int attnc_floormod(int a, int b) {
  if (b == 0) return 0;
  const int r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
ATTNC_HD float attnc_floordivf(float a, float b) { return b == 0.0f ? 0.0f : floorf(a / b); }
ATTNC_HD float attnc_floormodf(float a, float b) { return b == 0.0f ? 0.0f : a - b * floorf(a / b); }
ATTNC_HD int attnc_round(float x) {
  return static_cast<int>(x < 0.0f ? -floorf(-x + 0.5f) : floorf(x + 0.5f));
}
ATTNC_HD int attnc_min(int a, int b) { return a < b ? a : b; }
ATTNC_HD int attnc_max(int a, int b) { return a > b ? a : b; }
ATTNC_HD int attnc_abs(int a) { return a < 0 ? -a : a; }
ATTNC_HD float attnc_min(float a, float b) { return fminf(a, b); }
ATTNC_HD float attnc_max(float a, float b) { return fmaxf(a, b); }
ATTNC_HD float attnc_abs(float a) { return fabsf(a); }
