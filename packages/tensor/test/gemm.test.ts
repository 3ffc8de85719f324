import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DTypeError,
  type GemmBackend,
  type GemmOptions,
  gemm,
  gemmInfo,
  getGemmBackend,
  Rng,
  relaxedSimdValidates,
  ShapeError,
  setGemmBackend,
  ValueError,
} from '../src/index';

type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

afterEach(() => {
  setGemmBackend('auto');
});

/** C = alpha·op(A)·op(B) + beta·C by the textbook triple loop in float64; also Σ|terms| per entry. */
function naiveGemm(
  M: number,
  N: number,
  K: number,
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  C: ArrayLike<number>,
  { transA = false, transB = false, alpha = 1, beta = 0 }: GemmOptions,
): { value: Float64Array; magnitude: Float64Array } {
  // op(A) as rows of A and op(B) as rows of Bᵀ, both float64, so the loop reads a[i,k]·bt[j,k].
  const a = new Float64Array(M * K);
  const bt = new Float64Array(N * K);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) a[i * K + k] = transA ? A[k * M + i] : A[i * K + k];
  for (let j = 0; j < N; j++)
    for (let k = 0; k < K; k++) bt[j * K + k] = transB ? B[j * K + k] : B[k * N + j];
  const value = new Float64Array(M * N);
  const magnitude = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const term = a[i * K + k] * bt[j * K + k];
        sum += term;
        abs += Math.abs(term);
      }
      const old = beta === 0 ? 0 : beta * C[i * N + j];
      value[i * N + j] = alpha * sum + old;
      magnitude[i * N + j] = Math.abs(alpha) * abs + Math.abs(old);
    }
  }
  return { value, magnitude };
}

function randomArray(ctor: FloatCtor, n: number, rng: Rng): Float32Array | Float64Array {
  const out = new ctor(n);
  rng.fillNormal(out);
  return out;
}

/**
 * Runs gemm and checks it against the naive loop. A dot product of length K accumulates at most
 * about K rounding errors of relative size eps on Σ|a·b|, so the bound scales with K.
 */
function expectMatchesNaive(
  ctor: FloatCtor,
  M: number,
  N: number,
  K: number,
  opts: GemmOptions,
  seed: number,
  cFill?: number,
): void {
  const rng = new Rng(seed);
  const A = randomArray(ctor, M * K, rng);
  const B = randomArray(ctor, K * N, rng);
  const C = randomArray(ctor, M * N, rng);
  if (cFill !== undefined) C.fill(cFill);
  const A0 = A.slice();
  const B0 = B.slice();
  const want = naiveGemm(M, N, K, A, B, C, opts);
  gemm(M, N, K, A, B, C, opts);
  const eps = ctor === Float32Array ? 2 ** -24 : 2 ** -53;
  for (let i = 0; i < M * N; i++) {
    const tol = 2 * (K + 2) * eps * want.magnitude[i] + 1e-30;
    if (!(Math.abs(C[i] - want.value[i]) <= tol)) {
      expect.fail(
        `C[${i}] = ${C[i]}, expected ${want.value[i]} ± ${tol} (${M}x${N}x${K} ${JSON.stringify(opts)})`,
      );
    }
  }
  expect(sameValues(A, A0), 'A unchanged').toBe(true);
  expect(sameValues(B, B0), 'B unchanged').toBe(true);
}

function sameValues(x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

/** float64 always runs the TypeScript kernel, whatever the backend setting. */
const paths: [GemmBackend, string, FloatCtor][] = [
  ['wasm', 'float32', Float32Array],
  ['ts', 'float32', Float32Array],
  ['wasm', 'float64', Float64Array],
];

describe('gemm', () => {
  for (const [backend, dtypeName, ctor] of paths) {
    describe(`${backend} backend, ${dtypeName}`, () => {
      it('matches the naive triple loop for random sizes 1..70, transposes, alpha and beta', () => {
        fc.assert(
          fc.property(
            fc.record({
              M: fc.integer({ min: 1, max: 70 }),
              N: fc.integer({ min: 1, max: 70 }),
              K: fc.integer({ min: 1, max: 70 }),
              transA: fc.boolean(),
              transB: fc.boolean(),
              alpha: fc.oneof(fc.constant(1), fc.double({ min: -3, max: 3, noNaN: true })),
              beta: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: -2, max: 2, noNaN: true })),
              seed: fc.nat(),
            }),
            ({ M, N, K, seed, ...opts }) => {
              setGemmBackend(backend);
              expectMatchesNaive(ctor, M, N, K, opts, seed);
            },
          ),
          { numRuns: 40 },
        );
      });

      it('matches the naive loop at 130x257x300 for all four transpose combinations', () => {
        setGemmBackend(backend);
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            expectMatchesNaive(ctor, 130, 257, 300, { transA, transB, alpha: 0.75, beta: 0.5 }, 7);
          }
        }
      });

      it('crosses every cache block: K over several KC blocks, N over NC, ragged edges', () => {
        setGemmBackend(backend);
        expectMatchesNaive(ctor, 37, 90, 600, { transB: true, beta: 1 }, 11);
        expectMatchesNaive(ctor, 6, 2100, 20, { transA: true, alpha: -1, beta: 0.25 }, 12);
      });

      it('overwrites C when beta is 0, even where it holds NaN or Infinity', () => {
        setGemmBackend(backend);
        expectMatchesNaive(ctor, 9, 13, 5, {}, 3, Number.NaN);
        expectMatchesNaive(ctor, 9, 13, 5, { alpha: 2 }, 4, Number.POSITIVE_INFINITY);
      });

      it('with K = 0 sets C to beta·C (zeros for beta 0)', () => {
        setGemmBackend(backend);
        const C = new ctor([1, 2, 3, Number.NaN]);
        gemm(2, 2, 0, new ctor(0), new ctor(0), C, { beta: 0 });
        expect(Array.from(C)).toEqual([0, 0, 0, 0]);
        const D = new ctor([1, 2, 3, 4]);
        gemm(2, 2, 0, new ctor(0), new ctor(0), D, { beta: 0.5 });
        expect(Array.from(D)).toEqual([0.5, 1, 1.5, 2]);
      });

      it('with alpha = 0 sets C to beta·C without reading A and B', () => {
        setGemmBackend(backend);
        const C = new ctor([1, 2, 3, 4]);
        gemm(2, 2, 1, new ctor([5, 6]), new ctor([7, 8]), C, { alpha: 0, beta: 2 });
        expect(Array.from(C)).toEqual([2, 4, 6, 8]);
      });

      it('computes a small product exactly: [[1,2,3],[4,5,6]]·[[7,8],[9,10],[11,12]]', () => {
        setGemmBackend(backend);
        // By hand: row 1: 1·7+2·9+3·11 = 58, 1·8+2·10+3·12 = 64; row 2: 139, 154.
        const A = new ctor([1, 2, 3, 4, 5, 6]);
        const B = new ctor([7, 8, 9, 10, 11, 12]);
        const C = new ctor(4);
        gemm(2, 2, 3, A, B, C);
        expect(Array.from(C)).toEqual([58, 64, 139, 154]);
        // Aᵀ stored 3×2 and Bᵀ stored 2×3 give the same product.
        const At = new ctor([1, 4, 2, 5, 3, 6]);
        const Bt = new ctor([7, 9, 11, 8, 10, 12]);
        const D = new ctor([1, 1, 1, 1]);
        gemm(2, 2, 3, At, Bt, D, { transA: true, transB: true, alpha: 2, beta: -1 });
        expect(Array.from(D)).toEqual([115, 127, 277, 307]);
      });

      it('reads and writes through subarray views, leaving the rest of the buffer alone', () => {
        setGemmBackend(backend);
        const rng = new Rng(5);
        const bufA = randomArray(ctor, 3 + 6 * 4, rng);
        const bufB = randomArray(ctor, 1 + 4 * 5, rng);
        const bufC = new ctor(2 + 6 * 5 + 2).fill(9);
        const A = bufA.subarray(3, 3 + 24);
        const B = bufB.subarray(1, 1 + 20);
        const C = bufC.subarray(2, 2 + 30);
        const want = naiveGemm(6, 5, 4, A, B, C, {});
        gemm(6, 5, 4, A, B, C);
        for (let i = 0; i < 30; i++) expect(C[i]).toBeCloseTo(want.value[i], 5);
        expect([bufC[0], bufC[1], bufC[32], bufC[33]]).toEqual([9, 9, 9, 9]);
      });
    });
  }

  it('gives the same float32 results on both backends within rounding, across repeated growing calls', () => {
    const rng = new Rng(9);
    // Small, large, small: the WebAssembly memory grows (detaching old views) and is reused.
    for (const [M, N, K] of [
      [3, 5, 7],
      [200, 180, 260],
      [4, 4, 4],
      [300, 64, 90],
    ]) {
      const A = randomArray(Float32Array, M * K, rng);
      const B = randomArray(Float32Array, K * N, rng);
      const Cw = new Float32Array(M * N);
      const Ct = new Float32Array(M * N);
      setGemmBackend('wasm');
      gemm(M, N, K, A, B, Cw);
      setGemmBackend('ts');
      gemm(M, N, K, A, B, Ct);
      const want = naiveGemm(M, N, K, A, B, Cw, {});
      let worst = 0; // largest |wasm − ts| as a fraction of the rounding bound
      for (let i = 0; i < M * N; i++) {
        worst = Math.max(worst, Math.abs(Cw[i] - Ct[i]) / (4 * K * 2 ** -24 * want.magnitude[i]));
      }
      expect(worst).toBeLessThanOrEqual(1);
      expect(sameValues(Cw, Ct)).toBe(false); // distinct kernels: f32 SIMD vs f64 accumulation
    }
  });

  it('does nothing when M or N is 0', () => {
    const C = new Float32Array([1, 2]);
    gemm(0, 2, 3, new Float32Array(0), new Float32Array(6), C);
    gemm(2, 0, 3, new Float32Array(6), new Float32Array(0), C);
    expect(Array.from(C)).toEqual([1, 2]);
  });

  describe('argument errors', () => {
    const f32 = (n: number) => new Float32Array(n);
    it.each([
      ['M', () => gemm(-1, 2, 2, f32(4), f32(4), f32(4)), 'gemm: M must be an integer >= 0, got -1'],
      ['N', () => gemm(2, 1.5, 2, f32(4), f32(4), f32(4)), 'gemm: N must be an integer >= 0, got 1.5'],
      ['K', () => gemm(2, 2, Number.NaN, f32(4), f32(4), f32(4)), 'gemm: K must be an integer >= 0, got NaN'],
      [
        'alpha',
        () => gemm(2, 2, 2, f32(4), f32(4), f32(4), { alpha: Number.POSITIVE_INFINITY }),
        'gemm: alpha must be a finite number, got Infinity',
      ],
      [
        'beta',
        () => gemm(2, 2, 2, f32(4), f32(4), f32(4), { beta: Number.NaN }),
        'gemm: beta must be a finite number, got NaN',
      ],
    ])('rejects a bad %s with a ValueError', (_name, call, message) => {
      expect(call).toThrow(ValueError);
      expect(call).toThrow(message);
    });

    it('rejects mixed dtypes with a DTypeError naming the argument', () => {
      const call = () => gemm(2, 2, 2, new Float64Array(4), f32(4), f32(4));
      expect(call).toThrow(DTypeError);
      expect(call).toThrow('gemm: A must be a Float32Array like C, got a Float64Array');
      const callB = () => gemm(2, 2, 2, f32(4), new Float64Array(4), f32(4));
      expect(callB).toThrow('gemm: B must be a Float32Array like C, got a Float64Array');
    });

    it('rejects non-float arrays with a DTypeError', () => {
      const call = () => gemm(2, 2, 2, f32(4), f32(4), new Int32Array(4) as unknown as Float32Array);
      expect(call).toThrow(DTypeError);
      expect(call).toThrow('gemm: C must be a Float32Array or Float64Array, got a Int32Array');
    });

    it('rejects arrays shorter than their sizes with a ShapeError', () => {
      const short = [
        [() => gemm(2, 3, 4, f32(7), f32(12), f32(6)), 'gemm: A has 7 elements, expected 8 (M×K = 2×4)'],
        [() => gemm(2, 3, 4, f32(8), f32(11), f32(6)), 'gemm: B has 11 elements, expected 12 (K×N = 4×3)'],
        [() => gemm(2, 3, 4, f32(8), f32(12), f32(5)), 'gemm: C has 5 elements, expected 6 (M×N = 2×3)'],
      ] as const;
      for (const [call, message] of short) {
        expect(call).toThrow(ShapeError);
        expect(call).toThrow(message);
      }
    });
  });
});

describe('setGemmBackend', () => {
  it('returns the previous setting and changes getGemmBackend', () => {
    expect(setGemmBackend('ts')).toBe('auto');
    expect(getGemmBackend()).toBe('ts');
    expect(setGemmBackend('wasm')).toBe('ts');
    expect(getGemmBackend()).toBe('wasm');
  });

  it('rejects an unknown backend with a ValueError', () => {
    const call = () => setGemmBackend('gpu' as GemmBackend);
    expect(call).toThrow(ValueError);
    expect(call).toThrow("setGemmBackend: backend must be one of 'auto', 'wasm', 'ts', got 'gpu'");
    expect(getGemmBackend()).toBe('auto');
  });
});

describe('gemmInfo', () => {
  it('reports the WebAssembly SIMD kernel in Node 20+, and the TS kernel when forced', () => {
    const info = gemmInfo();
    expect(info.simd).toBe(true);
    expect(info.backend).toBe(info.relaxedSimd ? 'wasm-relaxed-simd' : 'wasm-simd');
    setGemmBackend('ts');
    // The TS kernel is single-threaded: threading reads 'single' whatever setGemmThreads says.
    expect(gemmInfo()).toEqual({ ...info, backend: 'ts', activeThreads: 1, threading: 'single' });
  });
});

/**
 * The relaxed-SIMD (fused multiply-add) module runs where the engine has relaxed SIMD: Node 20
 * only behind a flag, so a child process with the flag checks it against the naive loop.
 */
describe('gemm with relaxed SIMD', () => {
  it('selects the FMA module and matches the naive loop for ragged sizes and every transpose', () => {
    const script = `
      import { gemm, gemmInfo, Rng } from './src/index.ts';
      const rng = new Rng(1);
      let worst = 0;
      for (const [M, N, K] of [[1, 1, 1], [5, 9, 3], [37, 70, 300], [130, 33, 257]]) {
        for (const transA of [false, true]) for (const transB of [false, true]) {
          const A = new Float32Array(M * K), B = new Float32Array(K * N), C = new Float32Array(M * N);
          rng.fillNormal(A); rng.fillNormal(B); rng.fillNormal(C);
          const C0 = C.slice();
          gemm(M, N, K, A, B, C, { transA, transB, alpha: 1.5, beta: 0.5 });
          for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
            let sum = 0, abs = 0;
            for (let k = 0; k < K; k++) {
              const t = (transA ? A[k * M + i] : A[i * K + k]) * (transB ? B[j * K + k] : B[k * N + j]);
              sum += t; abs += Math.abs(t);
            }
            const want = 1.5 * sum + 0.5 * C0[i * N + j];
            const bound = 2 * (K + 2) * 2 ** -24 * (1.5 * abs + 0.5 * Math.abs(C0[i * N + j]));
            worst = Math.max(worst, Math.abs(C[i * N + j] - want) / bound);
          }
        }
      }
      console.log(JSON.stringify({ backend: gemmInfo().backend, worst }));
    `;
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const flags = gemmInfo().relaxedSimd ? [] : ['--experimental-wasm-relaxed-simd'];
    const child = spawnSync(
      process.execPath,
      [...flags, '--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as { backend: string; worst: number };
    expect(result.backend).toBe('wasm-relaxed-simd');
    expect(result.worst).toBeLessThanOrEqual(1);
  }, 30_000);
});

describe('relaxedSimdValidates', () => {
  it('agrees with the variant gemmInfo reports when nothing changed V8 flags in between', () => {
    expect(relaxedSimdValidates()).toBe(gemmInfo().relaxedSimd);
  });
});
