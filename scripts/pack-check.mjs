#!/usr/bin/env node
// Packaging check, as a registry user meets the packages: `pnpm pack` every public package, inspect
// and lint each tarball (its manifest, its file list, publint --strict, are-the-types-wrong), then in
// fresh directories outside the workspace install ONLY the tarballs a consumer needs with plain npm
// and prove that an ESM import, a CJS require, a TypeScript type-check and the WebAssembly kernel all
// work, that every entry point of every package loads the same names in ESM and CJS, and that a
// bundle importing one layer stays within its size budget and tree-shakes the rest away.
// Writes test-results/pack-check.json (counted in the CI totals).
//
//   node scripts/pack-check.mjs                             every check (after `pnpm build`)
//   BACKPROP_PACK_CHECK_KEEP=1 node scripts/pack-check.mjs  keep the temporary directory to inspect
//   BACKPROP_PACK_CHECK_ALLOW_STALE=1 ...                   pack a dist/ older than its src/ (noted)
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const budgets = JSON.parse(readFileSync(join(root, 'scripts/size-budgets.json'), 'utf8'));
const keep = process.env.BACKPROP_PACK_CHECK_KEEP === '1';
const allowStale = process.env.BACKPROP_PACK_CHECK_ALLOW_STALE === '1';
const work = mkdtempSync(join(tmpdir(), 'backprop-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

const results = [];
const sizes = {};
const passed = new Set();
/** Runs one check; `needs` names checks that must have passed first (else this one fails as not run). */
function check(name, fn, needs = []) {
  const missing = needs.filter((n) => !passed.has(n));
  if (missing.length > 0) {
    results.push({ name, ok: false, error: `not run: needs '${missing[0]}'` });
    console.log(`  FAIL ${name} — not run: needs '${missing[0]}'`);
    return;
  }
  try {
    const detail = fn();
    passed.add(name);
    results.push({ name, ok: true, ...(detail ? { detail } : {}) });
    console.log(`  ok   ${name}${detail ? ` — ${detail}` : ''}`);
  } catch (error) {
    results.push({ name, ok: false, error: String(error.message).slice(0, 2000) });
    console.log(`  FAIL ${name}\n${String(error.stdout ?? '')}${String(error.stderr ?? '')}${error.message}`);
  }
}
// No NODE_PATH: pnpm sets it to node_modules/.pnpm/node_modules, where every workspace package is
// linked, and a CJS require would find those instead of the installed tarballs.
const env = {
  ...process.env,
  NODE_PATH: '',
  FORCE_COLOR: '0',
  NO_COLOR: '1',
  npm_config_update_notifier: 'false',
};
const sh = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
const bin = (name) => join(root, 'node_modules/.bin', name);
const plain = (s) => stripVTControlCharacters(s);
const assert = (ok, message) => {
  if (!ok) throw new Error(message);
};

// 1. Pack every public package (pnpm runs .pnpmfile.cjs's beforePacking and rewrites workspace: ranges).
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter((p) => !p.manifest.private);
const tarballOf = {};
for (const p of packages) {
  check(`pack ${p.manifest.name}`, () => {
    assert(existsSync(join(p.dir, 'dist/index.js')), `${p.dir}/dist is missing: run \`pnpm build\` first`);
    const built = statSync(join(p.dir, 'dist/index.js')).mtimeMs;
    const stale = readdirSync(join(p.dir, 'src'), { recursive: true }).filter(
      (f) => String(f).endsWith('.ts') && statSync(join(p.dir, 'src', String(f))).mtimeMs > built,
    );
    const note = stale.length > 0 ? ` (dist/ is older than src/${stale[0]})` : '';
    assert(allowStale || !note, `dist/ is older than src/${stale[0]}: run \`pnpm build\` first`);
    const out = sh('pnpm', ['pack', '--pack-destination', tarballs], p.dir);
    const file = out
      .trim()
      .split('\n')
      .filter((l) => l.endsWith('.tgz'))
      .pop();
    assert(file && existsSync(file), `pnpm pack printed no tarball:\n${out}`);
    tarballOf[p.manifest.name] = file;
    return file.slice(tarballs.length + 1) + note;
  });
}

// 2. Inspect and lint every tarball.
const REQUIRED_FIELDS = [
  'name',
  'version',
  'description',
  'keywords',
  'license',
  'repository',
  'engines',
  'exports',
  'files',
  'sideEffects',
  'main',
  'module',
  'types',
];
for (const [name, tgz] of Object.entries(tarballOf)) {
  check(`manifest ${name}`, () => {
    const manifest = JSON.parse(sh('tar', ['-xzOf', tgz, 'package/package.json']));
    const files = sh('tar', ['-tzf', tgz])
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    for (const field of REQUIRED_FIELDS) assert(manifest[field] !== undefined, `no "${field}" field`);
    assert(manifest.sideEffects === false, 'sideEffects must be false');
    const text = JSON.stringify(manifest);
    assert(
      !text.includes('@backprop/source'),
      'the "@backprop/source" condition was published (.pnpmfile.cjs should strip it)',
    );
    assert(!text.includes('workspace:'), 'a workspace: range was published');
    assert(!manifest.devDependencies && !manifest.scripts, 'devDependencies/scripts were published');
    for (const f of [
      'README.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
    ]) {
      assert(files.includes(f), `${f} is not in the tarball`);
    }
    const stray = files.filter((f) => /^(src|test|scripts|assembly)\//.test(f) || f.endsWith('.tsbuildinfo'));
    assert(stray.length === 0, `files that should not ship: ${stray.slice(0, 5).join(', ')}`);
    return `${files.length} files`;
  });
  check(`publint --strict ${name}`, () => {
    const out = plain(sh(bin('publint'), ['run', tgz, '--strict']));
    assert(/All good/.test(out), out);
    return out.trim().split('\n').pop();
  });
  check(`attw --profile node16 ${name}`, () => {
    const out = plain(sh(bin('attw'), [tgz, '--profile', 'node16', '--format', 'table-flipped']));
    // The table names every entry point it checked: prove the subpaths were among them.
    const entries = [...out.matchAll(/"@backprop\/[a-z]+(\/[a-z]+)?"/g)].map((m) => m[0]);
    return `no type problems in ${[...new Set(entries)].join(', ') || 'the root entry'}`;
  });
}

// 3. A consumer that needs only @backprop/layers (and, through it, @backprop/tensor).
function makeConsumer(dir, names) {
  mkdirSync(dir, { recursive: true });
  const deps = Object.fromEntries(names.map((n) => [n, `file:${tarballOf[n]}`]));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      version: '1.0.0',
      private: true,
      dependencies: deps,
      // Keep npm away from the registry for our own names: transitive @backprop/* ranges resolve to
      // the same local tarballs as the direct dependencies ("$name" references them).
      overrides: Object.fromEntries(names.map((n) => [n, `$${n}`])),
    }),
  );
  sh('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts'], dir);
}
const consumer = join(work, 'consumer');
mkdirSync(consumer);
const need = ['@backprop/tensor', '@backprop/layers'];
check(
  'npm install only the @backprop/layers + @backprop/tensor tarballs',
  () => {
    makeConsumer(consumer, need);
    const installed = readdirSync(join(consumer, 'node_modules/@backprop')).sort();
    assert(installed.join() === 'layers,tensor', `installed @backprop/${installed.join(', @backprop/')}`);
    const others = readdirSync(join(consumer, 'node_modules')).filter(
      (d) => !d.startsWith('.') && d !== '@backprop',
    );
    assert(others.length === 0, `also installed: ${others.join(', ')}`);
    return `node_modules holds only @backprop/${installed.join(', @backprop/')}`;
  },
  need.map((n) => `pack ${n}`),
);
const layersOnly = ['npm install only the @backprop/layers + @backprop/tensor tarballs'];

// The program checks values derived by hand: x·w + b for x = [[1,2,3],[4,5,6]], w = [[1,0],[0,1],[1,1]],
// b = [0.5,-0.5]; dw = xᵀ·ones(2,2). The float32 product goes through the WebAssembly kernel and must
// equal the TypeScript kernel's.
const program = `
const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
const w = tensor([[1, 0], [0, 1], [1, 1]], { dtype: 'float64' });
const b = tensor([0.5, -0.5], { dtype: 'float64' });
const { out, cache } = affineForward(x, w, b);
const { dw } = affineBackward(ones([2, 2], 'float64'), cache);
const a = randn([96, 80], { rng: new Rng(1) });
const m = randn([80, 72], { rng: new Rng(2) });
const gemm = gemmInfo().backend;
const viaWasm = matmul(a, m);
setGemmBackend('ts');
const viaTs = matmul(a, m);
setGemmBackend('auto');
let maxDiff = 0;
for (let i = 0; i < viaTs.size; i++) maxDiff = Math.max(maxDiff, Math.abs(viaWasm.data[i] - viaTs.data[i]));
console.log(JSON.stringify({ out: out.toArray(), dw: dw.toArray(), gemm: gemm.startsWith('wasm') ? 'wasm' : gemm, wasmMatchesTs: maxDiff < 1e-4 && viaWasm.data.every(Number.isFinite) }));
`;
const expected = JSON.stringify({
  out: [
    [4.5, 4.5],
    [10.5, 10.5],
  ],
  dw: [
    [5, 5],
    [7, 7],
    [9, 9],
  ],
  gemm: 'wasm',
  wasmMatchesTs: true,
});
const names = '{ tensor, ones, randn, Rng, matmul, gemmInfo, setGemmBackend }';
writeFileSync(
  join(consumer, 'esm.mjs'),
  `import ${names} from '@backprop/tensor';\nimport { affineForward, affineBackward } from '@backprop/layers';\n${program}`,
);
writeFileSync(
  join(consumer, 'cjs.cjs'),
  `const ${names} = require('@backprop/tensor');\nconst { affineForward, affineBackward } = require('@backprop/layers');\n${program}`,
);
check(
  'ESM import works and runs the WebAssembly kernel',
  () => {
    const out = sh('node', ['esm.mjs'], consumer).trim();
    assert(out === expected, `got ${out}\nexpected ${expected}`);
    return out;
  },
  layersOnly,
);
check(
  'CJS require works and runs the WebAssembly kernel',
  () => {
    const out = sh('node', ['cjs.cjs'], consumer).trim();
    assert(out === expected, `got ${out}\nexpected ${expected}`);
    return 'same output as ESM';
  },
  layersOnly,
);
writeFileSync(
  join(consumer, 'check.ts'),
  `import { type Tensor, tensor, Rng, randn, gemmInfo, type GemmInfo } from '@backprop/tensor';
import { affineForward, affineBackward, type AffineCache } from '@backprop/layers';
const rng = new Rng(0);
const x: Tensor = randn([4, 3], { rng, dtype: 'float64' });
const { out, cache }: { out: Tensor; cache: AffineCache } = affineForward(x, tensor([[1], [2], [3]], { dtype: 'float64' }), tensor([0], { dtype: 'float64' }));
const grads = affineBackward(out, cache);
const shape: readonly number[] = grads.dw.shape;
const info: GemmInfo = gemmInfo();
// @ts-expect-error affineForward needs three tensors
affineForward(x);
// @ts-expect-error the result has no 'dz'
grads.dz;
export { shape, info };
`,
);
for (const [label, module, moduleResolution, file] of [
  ['node16, ESM', 'node16', 'node16', 'check.mts'],
  ['node16, CJS', 'node16', 'node16', 'check.cts'],
  ['bundler', 'esnext', 'bundler', 'check.ts'],
]) {
  check(
    `TypeScript type-check of a consumer (${label})`,
    () => {
      if (file !== 'check.ts') writeFileSync(join(consumer, file), readFileSync(join(consumer, 'check.ts')));
      const tsconfig = `tsconfig.${file}.json`;
      writeFileSync(
        join(consumer, tsconfig),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            module,
            moduleResolution,
            target: 'es2022',
            lib: ['es2022'],
            types: [],
          },
          files: [file],
        }),
      );
      sh(bin('tsc'), ['-p', tsconfig], consumer);
      return 'no errors, with skipLibCheck off and no DOM or Node types';
    },
    layersOnly,
  );
}

/** esbuild's production bundle of `<dir>/app.mjs` for browsers (the JS API: the CLI's pnpm shim sets NODE_PATH). */
function bundle(dir) {
  const { metafile } = buildSync({
    absWorkingDir: dir,
    entryPoints: ['app.mjs'],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    metafile: true,
    nodePaths: [],
    outfile: join(dir, 'app.bundle.js'),
    logLevel: 'silent',
  });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(metafile));
}

// 4. Size budget and tree-shaking: a bundler build of an app importing one layer. The markers are
// strings each excluded part cannot run without (its error messages name it).
const excluded = {
  'conv layers': ['"convForward"', '"convForwardNaive"'],
  'pooling layers': ['"maxPoolForward"'],
  'im2col kernel': ['"im2col"'],
  'safetensors reader': ['"readSafetensors"', '__metadata__'],
  'batchnorm layers': ['"batchnormForward"'],
};
check(
  'size budget and tree-shaking: an app importing affineForward',
  () => {
    writeFileSync(
      join(consumer, 'app.mjs'),
      `import { affineForward } from '@backprop/layers';\nexport const f = affineForward;\n`,
    );
    bundle(consumer);
    const bytes = readFileSync(join(consumer, 'app.bundle.js'));
    const text = bytes.toString('utf8');
    const full =
      readFileSync(join(consumer, 'node_modules/@backprop/layers/dist/index.js'), 'utf8') +
      readFileSync(join(consumer, 'node_modules/@backprop/tensor/dist/index.js'), 'utf8');
    for (const [part, markers] of Object.entries(excluded)) {
      for (const marker of markers) {
        assert(
          full.includes(marker),
          `marker ${marker} of the ${part} is not in the packages at all (stale marker)`,
        );
        assert(!text.includes(marker), `the bundle contains the ${part} (${marker}): tree-shaking failed`);
      }
    }
    const inputs = Object.keys(JSON.parse(readFileSync(join(consumer, 'meta.json'), 'utf8')).inputs);
    assert(
      inputs.some((i) => i.includes('@backprop/layers')),
      `the bundle has no @backprop/layers input: ${inputs.join(', ')}`,
    );
    const size = { minified: bytes.length, gzip: gzipSync(bytes).length };
    sizes.affineForwardApp = size;
    const budget = budgets.affineForwardApp;
    assert(
      size.minified <= budget.minified && size.gzip <= budget.gzip,
      `${JSON.stringify(size)} exceeds the budget ${JSON.stringify(budget)}`,
    );
    return `${size.minified} B minified, ${size.gzip} B gzip (budget ${budget.minified} / ${budget.gzip}); no ${Object.keys(excluded).join(', ')}`;
  },
  layersOnly,
);

// 5. Every package together: each entry point (".", "./node") loads in ESM and CJS with the same
// export names, the data assets resolve, and an app importing one layer from this full install
// still bundles nothing but @backprop/layers and @backprop/tensor.
const all = join(work, 'all');
check(
  'npm install every public tarball',
  () => {
    makeConsumer(all, Object.keys(tarballOf));
    const installed = readdirSync(join(all, 'node_modules/@backprop')).sort();
    const want = Object.keys(tarballOf)
      .map((n) => n.slice('@backprop/'.length))
      .sort();
    assert(
      installed.join() === want.join(),
      `installed ${installed.join(', ')}, expected ${want.join(', ')}`,
    );
    return `${installed.length} packages`;
  },
  packages.map((p) => `pack ${p.manifest.name}`),
);
const allInstalled = ['npm install every public tarball'];
const specifiers = packages.flatMap((p) =>
  Object.keys(p.manifest.exports)
    .filter((k) => k !== './package.json' && !k.includes('*'))
    .map((k) => (k === '.' ? p.manifest.name : `${p.manifest.name}/${k.slice(2)}`)),
);
check(
  `ESM and CJS load the same names from every entry point (${specifiers.length})`,
  () => {
    writeFileSync(
      join(all, 'entries.mjs'),
      `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const out = {};
for (const s of ${JSON.stringify(specifiers)}) {
  const esm = Object.keys(await import(s)).filter((k) => k !== 'default' && k !== 'module.exports').sort();
  const cjs = Object.keys(require(s)).sort();
  if (esm.join() !== cjs.join()) throw new Error(s + ': ESM exports ' + esm.join() + ' but CJS exports ' + cjs.join());
  if (esm.length === 0) throw new Error(s + ' exports nothing');
  out[s] = esm.length;
}
console.log(JSON.stringify(out));
`,
    );
    const counts = JSON.parse(sh('node', ['entries.mjs'], all));
    return Object.entries(counts)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
  },
  allInstalled,
);
check(
  '@backprop/data: embedded assets resolve from ESM, CJS and the "./assets/*" export',
  () => {
    writeFileSync(
      join(all, 'assets.mjs'),
      `import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { embeddedDatasetDir } from '@backprop/data/node';
const require = createRequire(import.meta.url);
const cjsDir = require('@backprop/data/node').embeddedDatasetDir;
const viaExport = require.resolve('@backprop/data/assets/fashion-mnist-subset/train-labels-idx1-ubyte.gz');
if (embeddedDatasetDir !== cjsDir) throw new Error('ESM and CJS disagree: ' + embeddedDatasetDir + ' vs ' + cjsDir);
if (!existsSync(viaExport)) throw new Error('missing ' + viaExport);
console.log(readdirSync(embeddedDatasetDir).filter((f) => f.endsWith('.gz')).length);
`,
    );
    const n = Number(sh('node', ['assets.mjs'], all).trim());
    assert(n === 4, `expected 4 IDX files in the embedded set, found ${n}`);
    return '4 IDX files';
  },
  allInstalled,
);
check(
  'tree-shaking with every package installed: an app importing affineForward bundles only layers + tensor',
  () => {
    writeFileSync(
      join(all, 'app.mjs'),
      `import { affineForward } from '@backprop/layers';\nexport const f = affineForward;\n`,
    );
    bundle(all);
    const inputs = Object.keys(JSON.parse(readFileSync(join(all, 'meta.json'), 'utf8')).inputs).filter(
      (i) => i !== 'app.mjs',
    );
    const outside = inputs.filter(
      (i) => !/node_modules\/@backprop\/(layers|tensor)\/dist\/index\.js$/.test(i),
    );
    assert(outside.length === 0, `the bundle pulls in ${outside.join(', ')}`);
    const bytes = readFileSync(join(all, 'app.bundle.js'));
    assert(
      bytes.length === sizes.affineForwardApp?.minified,
      `size ${bytes.length} differs from the layers-only install's ${sizes.affineForwardApp?.minified}`,
    );
    return inputs.join(', ');
  },
  allInstalled,
);

// 6. The README examples as a user copies them into a project with the packages installed: every
// ```ts block (scripts/readme-examples.ts) type-checks against the published .d.ts files, and the
// runnable ones run on the published JavaScript (the package tests run them on the sources).
const { register } = await import('tsx/esm/api');
register();
const { readmeExamples, tsxLoader } = await import('./readme-examples.ts');
const readmeDir = join(all, 'readme');
mkdirSync(readmeDir, { recursive: true });
const readmeFiles = [];
for (const p of packages) {
  for (const example of readmeExamples(p.dir)) {
    const file = `${p.manifest.name.slice('@backprop/'.length)}-${example.lines[0]}.mts`;
    writeFileSync(join(readmeDir, file), example.code);
    readmeFiles.push({ file, example, name: p.manifest.name });
  }
}
check(
  `README examples type-check against the installed packages (${readmeFiles.length} programs)`,
  () => {
    writeFileSync(
      join(readmeDir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          lib: ['es2022', 'dom', 'dom.iterable'],
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: readmeFiles.map((r) => r.file),
      }),
    );
    sh(bin('tsc'), ['-p', 'tsconfig.json'], readmeDir);
    return readmeFiles.map((r) => r.file).join(', ');
  },
  allInstalled,
);
for (const { file, example, name } of readmeFiles.filter((r) => r.example.run)) {
  check(
    `README example ${name} ${example.title} runs on the installed packages`,
    () => {
      const cwd = mkdtempSync(join(work, 'cwd-'));
      sh('node', ['--import', tsxLoader, join(readmeDir, file)], cwd);
    },
    allInstalled,
  );
}

if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
const numPassed = results.filter((r) => r.ok).length;
const failed = results.length - numPassed;
mkdirSync(join(root, 'test-results'), { recursive: true });
writeFileSync(
  join(root, 'test-results/pack-check.json'),
  JSON.stringify(
    { numPassedTests: numPassed, numFailedTests: failed, numPendingTests: 0, sizes, checks: results },
    null,
    2,
  ),
);
console.log(`pack-check: ${numPassed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
