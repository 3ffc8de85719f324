// The one tfjs instance every suite shares. tfjs is loaded through its CommonJS builds: under
// Node's ESM loader (and tsx) its ESM build fails on directory imports such as
// '@tensorflow/tfjs-core/dist/gradients', and core and backends must be one module instance
// (one engine, one kernel registry) for backends to register into it.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** @tensorflow/tfjs-core, with the cpu and wasm backends registered. */
export const tf = require('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfjsWasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');

let wasmPathsSet = false;

/**
 * Switches tfjs to `name`; false when the backend cannot start. The wasm backend reads its
 * .wasm files from the installed package's dist/ (setWasmPaths), single-threaded in Node, SIMD on.
 */
export async function useTfjsBackend(name: 'cpu' | 'wasm'): Promise<boolean> {
  if (name === 'wasm' && !wasmPathsSet) {
    tfjsWasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    wasmPathsSet = true;
  }
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** A short description of the tfjs wasm backend's features, for a row's note. */
export async function tfjsWasmFeatures(): Promise<string> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `simd ${simd ? 'on' : 'off'}, ${threads ? 'multi-threaded' : '1 thread'}`;
}
