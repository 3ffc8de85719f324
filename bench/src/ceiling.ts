// The machine's WebAssembly SIMD ceiling: GFLOP/s of a loop that does nothing but 128-bit fused
// multiply-adds (relaxed SIMD's f32x4.relaxed_madd, the GEMM's FMA kernel) on registers, 12 independent
// chains, no memory traffic, on 1 thread and on every core at once. No GEMM can beat it, so it is the
// yardstick for "close to what the hardware allows": the gemm suite prints it beside the GEMM rows.
// The module is assembled here, byte by byte (a few dozen of them).
import { Worker } from 'node:worker_threads';

/** Independent chains: enough to cover a 3–4 cycle latency on two pipes (or two pairs of pipes). */
const CHAINS = 12;
/** Timed calls per thread (the median is reported), of TRIPS loop trips each (about 4 ms). */
export const CEILING_ROUNDS = 40;
const TRIPS = 2_000_000;

/** Flops per loop trip: CHAINS multiply-adds of 4 lanes, 2 flops each. */
export const FLOPS_PER_TRIP = CHAINS * 4 * 2;

const SIMD = 0xfd;
const op = {
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Sub: 0x6b,
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  v128: 0x7b,
};
/** SIMD opcodes (after the 0xfd prefix), LEB128-encoded. */
const simd = {
  v128Const: [0x0c],
  f32x4ExtractLane: [0x1f],
  f32x4Add: [0xe4, 0x01],
  f32x4RelaxedMadd: [0x85, 0x02],
};

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

function splatConst(value: number): number[] {
  const bytes = new Uint8Array(new Float32Array([value, value, value, value]).buffer);
  return [SIMD, ...simd.v128Const, ...bytes];
}

/**
 * `peak(n: i32): f32`: n loop trips of acc_i = acc_i·m + c over the 12 chains (m = 0.999, c = 0.001:
 * the values settle at 1, never subnormal); returns a lane of the chains' sum so that nothing is dead
 * code. Locals: 0 is n, 1..CHAINS the chains, then m and c. Validates only where relaxed SIMD does.
 */
export function ceilingModule(): Uint8Array {
  const m = CHAINS + 1;
  const c = CHAINS + 2;
  const body: number[] = [];
  body.push(...splatConst(0.999), op.localSet, m, ...splatConst(0.001), op.localSet, c);
  for (let i = 1; i <= CHAINS; i++) body.push(op.localGet, c, op.localSet, i);
  body.push(op.block, 0x40, op.loop, 0x40);
  body.push(op.localGet, 0, op.i32Eqz, op.brIf, 1);
  for (let i = 1; i <= CHAINS; i++) {
    body.push(op.localGet, i, op.localGet, m, op.localGet, c, SIMD, ...simd.f32x4RelaxedMadd, op.localSet, i);
  }
  body.push(op.localGet, 0, op.i32Const, 1, op.i32Sub, op.localSet, 0, op.br, 0, op.end, op.end);
  body.push(op.localGet, 1);
  for (let i = 2; i <= CHAINS; i++) body.push(op.localGet, i, SIMD, ...simd.f32x4Add);
  body.push(SIMD, ...simd.f32x4ExtractLane, 0, op.end);
  const func = [1, CHAINS + 2, op.v128, ...body]; // one local declaration: CHAINS + 2 v128s
  const name = [...new TextEncoder().encode('peak')];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]), // type 0: (i32) -> f32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(7, [1, name.length, ...name, 0x00, 0]), // export "peak" = function 0
    ...section(10, [1, ...leb(func.length), ...func]),
  ]);
}

/**
 * Each worker compiles the module, calls it until the engine has optimized it, then posts the median
 * GFLOP/s of `rounds` calls of `trips` trips.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
async function measure({ bytes, trips, rounds, flopsPerTrip }) {
  const { instance } = await WebAssembly.instantiate(bytes);
  const peak = instance.exports.peak;
  for (let i = 0; i < 200; i++) peak(20000);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the optimizing tier compiles off-thread
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    peak(trips);
    rates.push((trips * flopsPerTrip) / ((performance.now() - t0) * 1e6));
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1];
}
measure(workerData).then((r) => parentPort.postMessage(r));
`;

export interface Ceiling {
  /** GFLOP/s of one thread. */
  one: number;
  /** Summed GFLOP/s of `threads` threads running at once. */
  all: number;
  threads: number;
}

/** Summed median GFLOP/s of `threads` workers running the loop at once. */
async function onWorkers(bytes: Uint8Array, threads: number): Promise<number> {
  const workerData = { bytes, trips: TRIPS, rounds: CEILING_ROUNDS, flopsPerTrip: FLOPS_PER_TRIP };
  const workers = Array.from({ length: threads }, () => new Worker(workerSource, { eval: true, workerData }));
  try {
    const rates = await Promise.all(
      workers.map(
        (w) =>
          new Promise<number>((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    return rates.reduce((a, b) => a + b, 0);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * The FMA ceiling on 1 thread and on `threads` workers at once (relaxed SIMD must validate), each the
 * best of three alternating attempts: a ceiling is what the machine can do, and a neighbour's burst
 * of load on a shared host only ever lowers a figure.
 */
export async function measureCeiling(threads: number): Promise<Ceiling> {
  const bytes = ceilingModule();
  let one = 0;
  let all = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    one = Math.max(one, await onWorkers(bytes, 1));
    all = Math.max(all, await onWorkers(bytes, threads));
  }
  return { one, all, threads };
}
