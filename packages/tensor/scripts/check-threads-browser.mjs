#!/usr/bin/env node
// Checks the threaded GEMM in a real browser: bundles the package (tsup, into a temporary folder),
// serves it cross-origin isolated (COOP/COEP headers) and opens it in headless Chromium through
// playwright-core (from apps/playground). On the page's main thread gemm must fall back to one
// thread (Atomics.wait is not allowed there) and say why; inside a module worker it must start a
// Blob-URL helper, report 2 active threads, and give results bit-identical to one thread.
//
//   node scripts/check-threads-browser.mjs            (CHROMIUM=/path/to/chrome to pick a browser)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'backprop-threads-'));

const page = `<!doctype html><script type="module">
import { gemm, gemmInfo, setGemmThreads, setGemmThreadThreshold } from './index.js';
setGemmThreads(2);
setGemmThreadThreshold(1);
const x = new Float32Array(64 * 64).fill(1);
gemm(64, 64, 64, x, x, new Float32Array(64 * 64));
window.mainInfo = gemmInfo();
const worker = new Worker('./worker.js', { type: 'module' });
worker.onmessage = (e) => { window.result = e.data; };
worker.onerror = (e) => { window.result = { error: String(e.message) }; };
</script>`;

const worker = `import { gemm, gemmInfo, Rng, setGemmThreads, setGemmThreadThreshold } from './index.js';
try {
  setGemmThreads(2);
  setGemmThreadThreshold(1);
  const rng = new Rng(3);
  const results = [];
  let info;
  for (const [M, N, K, transA, transB] of [[150, 70, 300, false, false], [9, 301, 513, true, true]]) {
    const A = new Float32Array(M * K), B = new Float32Array(K * N);
    rng.fillNormal(A); rng.fillNormal(B);
    const opts = { transA, transB, alpha: 0.5 };
    const C2 = new Float32Array(M * N), C1 = new Float32Array(M * N);
    setGemmThreads(2);
    for (let i = 0; i < 500 && gemmInfo().threading !== 'on'; i++) {
      gemm(M, N, K, A, B, C2, opts);
      await new Promise((r) => setTimeout(r, 10));
    }
    gemm(M, N, K, A, B, C2, opts);
    info = gemmInfo();
    setGemmThreads(1);
    gemm(M, N, K, A, B, C1, opts);
    results.push(C1.every((v, i) => Object.is(v, C2[i])));
  }
  postMessage({ info, identical: results });
} catch (e) {
  postMessage({ error: String((e && e.stack) || e) });
}`;

let failed = false;
const server = createServer((req, res) => {
  const file = req.url === '/' ? 'index.html' : req.url.slice(1);
  try {
    const body = readFileSync(join(dir, file));
    res.writeHead(200, {
      'content-type': file.endsWith('.html') ? 'text/html' : 'text/javascript',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
try {
  // tsup is a workspace-root dev dependency.
  const tsup = join(
    root,
    '..',
    '..',
    'node_modules',
    '.bin',
    process.platform === 'win32' ? 'tsup.cmd' : 'tsup',
  );
  const build = spawnSync(tsup, ['src/index.ts', '--format', 'esm', '--no-config', '--out-dir', dir], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`tsup failed:\n${build.stdout}${build.stderr}`);
  writeFileSync(join(dir, 'index.html'), page);
  writeFileSync(join(dir, 'worker.js'), worker);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const require = createRequire(join(root, '..', '..', 'apps', 'playground', 'package.json'));
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${port}/`);
    await tab.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
    const main = await tab.evaluate(() => window.mainInfo);
    const result = await tab.evaluate(() => window.result);
    process.stdout.write(`main thread: ${JSON.stringify(main)}\nworker: ${JSON.stringify(result)}\n`);
    failed =
      main.threading !== 'unavailable' ||
      main.threadingNote !== 'Atomics.wait not allowed on a browser main thread' ||
      result.error !== undefined ||
      result.info.threading !== 'on' ||
      result.info.activeThreads !== 2 ||
      !result.identical.every(Boolean);
  } finally {
    await browser.close();
  }
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(failed ? 'FAILED\n' : 'threaded GEMM OK in the browser\n');
process.exit(failed ? 1 : 0);
