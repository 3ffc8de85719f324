// Vite serves and builds the playground. Workspace packages resolve to their TypeScript sources
// through the "@backprop/source" export condition, so no package build is needed; the trainer runs
// in an ES-module worker; COOP/COEP make the page cross-origin isolated (SharedArrayBuffer, precise timers).
import { defaultClientConditions, defineConfig } from 'vite';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  resolve: { conditions: ['@backprop/source', ...defaultClientConditions] },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
  build: { target: 'es2022', chunkSizeWarningLimit: 1500 },
});
