// One tsup setup for every public package: ESM + CJS + .d.ts from src/index.ts.
import { defineConfig, type Options } from 'tsup';

export function packageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
    splitting: false,
    ...overrides,
  });
}
