// The command is one ESM file, dist/bin.js; tsup keeps the shebang of src/bin.ts and marks the
// output executable. The @backprop packages stay external: they resolve to their own dist/ builds.
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/bin.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  dts: false,
  splitting: false,
});
