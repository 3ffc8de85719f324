// The GEMM module: the blocked SIMD GEMM (gemm.ts) and the convolution loops built on it (conv.ts),
// in one module so they share one linear memory.

export * from './conv';
export * from './gemm';
