// One vitest setup for every package: resolve workspace packages to their src/ through the
// "@backprop/source" export condition, so tests never need a build. vitest 4 + vite 8 resolve
// node tests through the ssr list, so the condition goes in both places.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export const sourceCondition = '@backprop/source';

export default defineConfig({
  resolve: { conditions: [sourceCondition, 'module', 'import', 'default'] },
  ssr: { resolve: { conditions: [sourceCondition, 'module', 'import', 'default'] } },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
    testTimeout: 60_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
