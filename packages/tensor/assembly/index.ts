// The convolution module: the blocked SIMD GEMM (gemm.ts) and the convolution loops built on it
// (conv.ts), in one module so they share one linear memory. The GEMM alone is built from gemm.ts, so
// an application that never convolves does not carry the convolution code.

export * from './conv';
export * from './gemm';
