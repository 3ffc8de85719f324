#!/usr/bin/env node
// Packaging check, as a registry user meets the packages: `pnpm pack` every public package, lint
// each tarball (publint, are-the-types-wrong), then in a fresh directory outside the workspace install
// ONLY the tarballs one consumer needs with plain npm and prove that an ESM import, a CJS require,
// a TypeScript type-check and the WebAssembly kernel all work, and that a bundle importing one layer
// stays within its size budget. Writes test-results/pack-check.json (counted in the CI totals).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const budgets = JSON.parse(readFileSync(join(root, 'scripts/size-budgets.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'backprop-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

const results = [];
function check(name, fn) {
  try {
    const detail = fn();
    results.push({ name, ok: true });
    console.log(`  ok   ${name}${detail ? ` — ${detail}` : ''}`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`  FAIL ${name}\n${String(error.stdout ?? '')}${String(error.stderr ?? '')}${error.message}`);
  }
}
const sh = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
const bin = (name) => join(root, 'node_modules/.bin', name);

// 1. Pack every public package.
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir: join(root, 'packages', dir), manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.manifest.private);
const tarballOf = {};
for (const p of packages) {
  check(`pack ${p.manifest.name}`, () => {
    const out = sh('pnpm', ['pack', '--pack-destination', tarballs], p.dir);
    const file = out.trim().split('\n').filter((l) => l.endsWith('.tgz')).pop();
    tarballOf[p.manifest.name] = file;
    return file.slice(tarballs.length + 1);
  });
}

// 2. Lint every tarball.
for (const [name, tgz] of Object.entries(tarballOf)) {
  check(`publint ${name}`, () => {
    const out = sh(bin('publint'), ['run', tgz, '--strict']);
    return out.trim().split('\n').pop();
  });
  check(`attw ${name}`, () => {
    sh(bin('attw'), [tgz, '--profile', 'node16', '--format', 'table-flipped']);
    return 'no type resolution problems';
  });
}

// 3. A consumer that needs only @backprop/layers (and, through it, @backprop/tensor).
const consumer = join(work, 'consumer');
mkdirSync(consumer);
const need = ['@backprop/tensor', '@backprop/layers'];
writeFileSync(
  join(consumer, 'package.json'),
  JSON.stringify({
    name: 'consumer',
    private: true,
    // Keep npm away from the registry for our own names: resolve them to the local tarballs.
    overrides: Object.fromEntries(need.map((n) => [n, `file:${tarballOf[n]}`])),
  }),
);
check('npm install only @backprop/layers + @backprop/tensor tarballs', () => {
  sh('npm', ['install', '--no-audit', '--no-fund', '--offline=false', ...need.map((n) => tarballOf[n])], consumer);
  const installed = readdirSync(join(consumer, 'node_modules/@backprop'));
  if (installed.sort().join() !== 'layers,tensor') throw new Error(`installed ${installed.join(', ')}`);
  return installed.join(', ');
});

const program = `
const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
const w = tensor([[1, 0], [0, 1], [1, 1]], { dtype: 'float64' });
const b = tensor([0.5, -0.5], { dtype: 'float64' });
const { out, cache } = affineForward(x, w, b);
const { dw } = affineBackward(ones([2, 2], 'float64'), cache);
const a = randn([64, 64], { rng: new Rng(1) });
const c = matmul(a, a);
console.log(JSON.stringify({ out: out.toArray(), dw: dw.toArray(), gemm: gemmInfo().backend, finite: c.data.every(Number.isFinite) }));
`;
const expected = JSON.stringify({ out: [[4.5, 4.5], [10.5, 10.5]], dw: [[5, 5], [7, 7], [9, 9]], gemm: 'wasm-simd', finite: true });
writeFileSync(
  join(consumer, 'esm.mjs'),
  `import { tensor, ones, randn, Rng, matmul, gemmInfo } from '@backprop/tensor';\nimport { affineForward, affineBackward } from '@backprop/layers';\n${program}`,
);
writeFileSync(
  join(consumer, 'cjs.cjs'),
  `const { tensor, ones, randn, Rng, matmul, gemmInfo } = require('@backprop/tensor');\nconst { affineForward, affineBackward } = require('@backprop/layers');\n${program}`,
);
check('ESM import works and loads the WebAssembly kernel', () => {
  const out = sh('node', ['esm.mjs'], consumer).trim();
  if (out !== expected) throw new Error(`got ${out}\nexpected ${expected}`);
  return out;
});
check('CJS require works and loads the WebAssembly kernel', () => {
  const out = sh('node', ['cjs.cjs'], consumer).trim();
  if (out !== expected) throw new Error(`got ${out}\nexpected ${expected}`);
  return 'same output as ESM';
});
writeFileSync(
  join(consumer, 'check.ts'),
  `import { type Tensor, tensor, Rng, randn } from '@backprop/tensor';
import { affineForward, affineBackward, type AffineCache } from '@backprop/layers';
const rng = new Rng(0);
const x: Tensor = randn([4, 3], { rng, dtype: 'float64' });
const { out, cache }: { out: Tensor; cache: AffineCache } = affineForward(x, tensor([[1], [2], [3]], { dtype: 'float64' }), tensor([0], { dtype: 'float64' }));
const grads = affineBackward(out, cache);
const shape: readonly number[] = grads.dw.shape;
// @ts-expect-error affineForward needs three tensors
affineForward(x);
export { shape };
`,
);
for (const [label, module, moduleResolution] of [
  ['node16', 'node16', 'node16'],
  ['bundler', 'esnext', 'bundler'],
]) {
  check(`TypeScript type-check of a consumer (moduleResolution ${label})`, () => {
    sh(bin('tsc'), ['--noEmit', '--strict', '--skipLibCheck', 'false', '--module', module, '--moduleResolution', moduleResolution, '--target', 'es2022', '--types', '', 'check.ts'], consumer);
  });
}

// 4. Size budget: a bundler build of an app importing one layer (tree-shaking must drop the rest).
check('size budget: an app importing affineForward', () => {
  writeFileSync(join(consumer, 'app.mjs'), `import { affineForward } from '@backprop/layers';\nexport const f = affineForward;\n`);
  sh(bin('esbuild'), ['app.mjs', '--bundle', '--minify', '--format=esm', '--platform=browser', '--outfile=app.bundle.js'], consumer);
  const bytes = readFileSync(join(consumer, 'app.bundle.js'));
  const size = { minified: bytes.length, gzip: gzipSync(bytes).length };
  const budget = budgets.affineForwardApp;
  if (size.minified > budget.minified || size.gzip > budget.gzip) {
    throw new Error(`${JSON.stringify(size)} exceeds ${JSON.stringify(budget)}`);
  }
  return `${size.minified} B minified, ${size.gzip} B gzip (budget ${budget.minified} / ${budget.gzip})`;
});

rmSync(work, { recursive: true, force: true });
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
mkdirSync(join(root, 'test-results'), { recursive: true });
writeFileSync(
  join(root, 'test-results/pack-check.json'),
  JSON.stringify({ numPassedTests: passed, numFailedTests: failed, numPendingTests: 0, checks: results }, null, 2),
);
console.log(`pack-check: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
