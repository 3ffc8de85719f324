// End-to-end checks of the built playground in Debian's chromium (playwright-core, no downloaded
// browser). Serves dist/ with `vite preview` (COOP/COEP headers from vite.config.ts) on a free port,
// runs each check with a bounded wait, saves a screenshot of each mode, writes a vitest-style JSON
// report to test-results/e2e.json and exits 1 on any failure. Run after `pnpm --filter playground build`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'test-results');
const shotsDir = join(resultsDir, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForServer(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the preview server did not answer at ${url} within ${ms} ms`);
}

function assert(ok, message) {
  if (!ok) throw new Error(message);
}

const results = [];
/** The preview server (module scope, so the hard time limit can stop it too). */
let server;
async function check(name, ms, fn) {
  const start = Date.now();
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
    results.push({ name, status: 'passed', duration: Date.now() - start });
    console.log(`  ✓ ${name} (${Date.now() - start} ms)`);
  } catch (error) {
    results.push({
      name,
      status: 'failed',
      duration: Date.now() - start,
      message: String(error?.message ?? error),
    });
    console.log(`  ✗ ${name}: ${error?.message ?? error}`);
  } finally {
    clearTimeout(timer);
  }
}

// ---- page helpers ----

const state = (page) => page.evaluate(() => window.playground.state());

async function waitStatus(page, statuses, ms) {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  await page.waitForFunction((w) => w.includes(window.playground?.state().status), wanted, { timeout: ms });
}

/** Opens the playground at `query` and waits for the first run to be ready; returns the console errors seen. */
async function open(context, base, query, ms = 30_000) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + query, { timeout: ms });
  await waitStatus(page, ['ready', 'error'], ms);
  return { page, errors };
}

/**
 * The spiral as a person sets it up: the default page, 'spiral' chosen in the form (which applies the
 * 2-D preset: [64, 64], Adam 0.02, batch 32, 100 epochs = 1,100 steps), noise lowered to 0.05.
 * Returns the page, ready, with the URL describing that run.
 */
async function openSpiral(context, base) {
  const { page, errors } = await open(context, base, '');
  await page.selectOption('[data-field="data.dataset"]', 'spiral');
  await page.waitForSelector('[data-field="data.noise"]', { timeout: 10_000 });
  await page.fill('[data-field="data.noise"]', '0.05');
  await page.press('[data-field="data.noise"]', 'Enter');
  await page.waitForFunction(() => location.search.includes('noise=0.05'), null, { timeout: 10_000 });
  await waitStatus(page, 'ready', 20_000);
  return { page, errors };
}

/** The share of boundary pixels tinted by each class colour (the tint's direction from white). */
async function boundaryShares(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid=boundary]');
    const ctx = canvas.getContext('2d');
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const colors = [
      [78, 121, 167],
      [242, 142, 43],
      [225, 87, 89],
    ];
    const counts = [0, 0, 0];
    let tinted = 0;
    for (let y = 5; y < height; y += 11) {
      for (let x = 5; x < width; x += 11) {
        const i = 4 * (y * width + x);
        const d = [255 - data[i], 255 - data[i + 1], 255 - data[i + 2]];
        const norm = Math.hypot(...d);
        if (norm < 8) continue;
        tinted++;
        let best = 0;
        let bestCos = -1;
        colors.forEach((c, k) => {
          const e = c.map((v) => 255 - v);
          const cos = (d[0] * e[0] + d[1] * e[1] + d[2] * e[2]) / (norm * Math.hypot(...e));
          if (cos > bestCos) {
            bestCos = cos;
            best = k;
          }
        });
        counts[best]++;
      }
    }
    return { shares: counts.map((c) => c / Math.max(1, tinted)), tinted };
  });
}

/** Clicks pause while training and measures, in the page, how long until the button shows 'paused'. */
async function measurePause(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const button = document.querySelector('[data-testid=play]');
        const t0 = performance.now();
        const observer = new MutationObserver(() => {
          if (button.dataset.state === 'paused' || button.dataset.state === 'done') {
            observer.disconnect();
            resolve({ ms: performance.now() - t0, state: button.dataset.state });
          }
        });
        observer.observe(button, { attributes: true });
        button.click();
        setTimeout(() => resolve({ ms: Number.POSITIVE_INFINITY, state: button.dataset.state }), 5000);
      }),
  );
}

async function main() {
  if (!existsSync(join(root, 'dist', 'index.html'))) {
    throw new Error('apps/playground/dist is missing: run `pnpm --filter playground build` first');
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium`);
  await mkdir(shotsDir, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  server = spawn(
    process.execPath,
    [
      join(root, 'node_modules/vite/bin/vite.js'),
      'preview',
      '--port',
      String(port),
      '--strictPort',
      '--host',
      '127.0.0.1',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let serverLog = '';
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  let browser;
  try {
    const response = await waitForServer(base, 20_000);
    await check('serves the page cross-origin isolated (COOP/COEP headers)', 5_000, async () => {
      assert(response.headers.get('cross-origin-opener-policy') === 'same-origin', 'COOP header missing');
      assert(response.headers.get('cross-origin-embedder-policy') === 'require-corp', 'COEP header missing');
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const context = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
      acceptDownloads: true,
    });

    // 1. The default page: the image task loads (the embedded subset is fetched) with no console errors.
    let imagesPage;
    await check('the page loads the image task with no console errors', 60_000, async () => {
      const { page, errors } = await open(context, base, '', 60_000);
      imagesPage = page;
      const s = await state(page);
      assert(s.status === 'ready', `status is ${s.status}: ${s.error}`);
      assert(
        s.info.kind === 'images' && s.info.numTrain === 9000,
        `unexpected run ${JSON.stringify(s.info.kind)}`,
      );
      assert(await page.evaluate(() => crossOriginIsolated), 'the page is not cross-origin isolated');
      assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    });

    // 2. The image task trains and its loss falls.
    await check('the image task trains and its loss falls', 120_000, async () => {
      const page = imagesPage;
      await page.click('[data-testid=play]');
      await page.waitForFunction(() => window.playground.state().losses.length >= 180, null, {
        timeout: 100_000,
      });
      await page.click('[data-testid=play]');
      await waitStatus(page, ['paused', 'done'], 10_000);
      const s = await state(page);
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const first = mean(s.losses.slice(0, 20));
      const last = mean(s.losses.slice(-20));
      assert(
        last < 0.7 * first,
        `loss did not fall: first 20 average ${first.toFixed(3)}, last 20 ${last.toFixed(3)}`,
      );
      const captions = await page.$$eval('[data-testid=image-grid] figcaption', (els) =>
        els.map((e) => e.className),
      );
      assert(
        captions.length === 24 && captions.every((c) => c === 'right' || c === 'wrong'),
        'image grid has no predictions',
      );
      const rows = await page.$$eval('[data-testid=confusion] tr', (els) => els.length);
      assert(rows === 11, `confusion matrix has ${rows} rows, expected 11`);
      await page.screenshot({ path: join(shotsDir, 'images.png'), fullPage: true });
      console.log(`    loss ${first.toFixed(3)} -> ${last.toFixed(3)} over ${s.losses.length} iterations`);
    });

    // 3. The convnet shows its first-layer filters.
    await check('the convnet trains a step and draws its first-layer filters', 60_000, async () => {
      const { page, errors } = await open(
        context,
        base,
        '?model=convnet&num-filters=8&filter-size=5&hidden-dim=50',
        60_000,
      );
      await page.click('[data-testid=step]');
      await page.waitForFunction(() => window.playground.state().iteration === 1, null, { timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid=filters]').width > 0, null, {
        timeout: 5_000,
      });
      const filled = await page.evaluate(() => {
        const c = document.querySelector('[data-testid=filters]');
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        const values = new Set();
        for (let i = 0; i < data.length; i += 4) values.add(data[i]);
        return values.size;
      });
      assert(filled > 20, `the filters canvas has only ${filled} grey levels`);
      assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
      await page.screenshot({ path: join(shotsDir, 'convnet.png'), fullPage: true });
      await page.close();
    });

    // 4. The spiral: pause responds within 200 ms while training; the run reaches >= 0.9 train accuracy.
    let spiralPage;
    await check(
      'the page stays responsive while training: pause takes effect within 200 ms',
      60_000,
      async () => {
        const { page } = await openSpiral(context, base);
        // A run far longer than the checks below, so it is still training at every pause, however
        // fast the machine (the default 1,100 iterations can finish within them).
        await page.fill('[data-field="solver.numEpochs"]', '5000');
        await page.press('[data-field="solver.numEpochs"]', 'Enter');
        await page.waitForFunction(() => location.search.includes('epochs=5000'), null, { timeout: 10_000 });
        await waitStatus(page, 'ready', 20_000);
        await page.click('[data-testid=play]');
        await page.waitForFunction(() => window.playground.state().iteration >= 50, null, {
          timeout: 30_000,
        });
        // Five pauses, each measured in the page from the click to the worker's 'paused' reaching the
        // button. Every one must be within 200 ms (on an idle machine they take 30-60 ms).
        const latencies = [];
        for (let k = 0; k < 5; k++) {
          const { ms, state: after } = await measurePause(page);
          assert(after === 'paused', `pause ended in state ${after}`);
          latencies.push(ms);
          await page.click('[data-testid=play]');
          await page.waitForTimeout(300);
        }
        const sorted = [...latencies].sort((a, b) => a - b);
        const median = sorted[2];
        console.log(
          `    pause latency ${latencies.map((m) => m.toFixed(0)).join(', ')} ms (median ${median.toFixed(0)}, worst ${sorted[4].toFixed(0)})`,
        );
        assert(
          sorted[4] <= 200,
          `a pause took ${sorted[4].toFixed(0)} ms (all: ${latencies.map((m) => m.toFixed(0)).join(', ')})`,
        );
        await page.close(); // stops its worker, so the next run has the machine to itself
      },
    );

    await check(
      'the spiral trains to >= 0.9 train accuracy and the decision boundary is drawn',
      120_000,
      async () => {
        const { page } = await openSpiral(context, base);
        spiralPage = page;
        await page.click('[data-testid=play]');
        await waitStatus(page, 'done', 100_000);
        const s = await state(page);
        assert(s.iteration === 1100, `ran ${s.iteration} iterations, expected 1100`);
        const trainAcc = s.checks.at(-1).trainAcc;
        assert(trainAcc >= 0.9, `train accuracy ${trainAcc}`);
        const shown = await page.textContent('[data-testid=train-acc]');
        assert(shown === `${(100 * trainAcc).toFixed(1)}%`, `the page shows ${shown}`);
        const { shares, tinted } = await boundaryShares(page);
        assert(tinted > 1000, `only ${tinted} tinted pixels: no boundary drawn`);
        assert(
          shares.every((x) => x > 0.15),
          `class regions ${shares.map((x) => x.toFixed(2)).join(', ')}`,
        );
        console.log(
          `    train acc ${trainAcc.toFixed(3)}, regions ${shares.map((x) => x.toFixed(2)).join(' / ')}`,
        );
        await page.screenshot({ path: join(shotsDir, 'spiral.png'), fullPage: true });
      },
    );

    // 5. Gradient check panel.
    await check('the gradient check shows small relative errors for every parameter', 30_000, async () => {
      const page = spiralPage;
      await page.click('[data-testid=run-gradcheck]');
      await page.waitForSelector('[data-testid=gradcheck] table', { timeout: 20_000 });
      const rows = await page.$$eval('[data-testid=gradcheck] td.err', (els) => els.map((e) => e.className));
      assert(rows.length === 6, `${rows.length} rows, expected 6 (W1..b3)`);
      assert(!rows.some((c) => c.includes('bad')), `bad rows: ${rows.join(', ')}`);
      await page.screenshot({ path: join(shotsDir, 'gradcheck.png'), fullPage: true });
    });

    // 6. Checkpoint: download, then load it back.
    await check('a downloaded checkpoint loads back into the same run', 60_000, async () => {
      const page = spiralPage;
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 20_000 }),
        page.click('[data-testid=download]'),
      ]);
      const file = join(resultsDir, download.suggestedFilename());
      await download.saveAs(file);
      assert(file.endsWith('-iter1100.safetensors'), `file name ${file}`);
      const bytes = await readFile(file);
      assert(bytes.length > 1000, 'the checkpoint is empty');
      const { page: other } = await open(context, base, '');
      await other.setInputFiles('[data-testid=load-file]', file);
      await other.waitForFunction(() => window.playground.state().info?.kind === 'toy', null, {
        timeout: 30_000,
      });
      const a = await state(page);
      const b = await state(other);
      assert(b.status === 'done' && b.iteration === 1100, `loaded run is ${b.status} at ${b.iteration}`);
      assert(JSON.stringify(a.config) === JSON.stringify(b.config), 'the loaded config differs');
      assert(JSON.stringify(a.losses) === JSON.stringify(b.losses), 'the loaded loss history differs');
      assert(other.url().includes('dataset=spiral'), `the URL was not updated: ${other.url()}`);
      await other.close();
    });

    // 7. URL round trip: settings changed in the form come back from the link.
    await check('a URL round trip restores the same settings', 30_000, async () => {
      const { page } = await openSpiral(context, base);
      await page.fill('[data-testid=layer-1]', '48');
      await page.press('[data-testid=layer-1]', 'Enter');
      await page.selectOption('[data-field="solver.updateRule"]', 'rmsprop');
      await page.fill('[data-field="seed"]', '42');
      await page.press('[data-field="seed"]', 'Enter');
      await page.waitForFunction(
        () => location.search.includes('seed=42') && location.search.includes('rmsprop'),
        null,
        {
          timeout: 10_000,
        },
      );
      await waitStatus(page, 'ready', 10_000);
      const before = await state(page);
      const url = page.url();
      const { page: again, errors } = await open(context, url, '');
      const after = await state(again);
      assert(
        JSON.stringify(before.config) === JSON.stringify(after.config),
        'configs differ after the round trip',
      );
      assert(
        after.config.model.hiddenDims.join(',') === '64,48',
        `hidden dims ${after.config.model.hiddenDims}`,
      );
      assert((await again.inputValue('[data-testid=layer-1]')) === '48', 'the form does not show the width');
      assert(
        (await again.inputValue('[data-field="solver.updateRule"]')) === 'rmsprop',
        'the form does not show rmsprop',
      );
      // Same seed, same numbers.
      for (const p of [page, again]) {
        await p.click('[data-testid=step]');
        await p.waitForFunction(() => window.playground.state().iteration === 1, null, { timeout: 10_000 });
      }
      const l1 = (await state(page)).losses[0];
      const l2 = (await state(again)).losses[0];
      assert(l1 === l2, `first losses differ: ${l1} vs ${l2}`);
      assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
      await page.close();
      await again.close();
    });

    // 8. A bad or outdated URL falls back to the defaults with a visible notice.
    await check('a bad URL falls back to defaults with a visible notice', 30_000, async () => {
      const { page } = await open(context, base, '?dataset=spiral&hidden-dims=64,x&colour=blue');
      const notices = await page.$$eval('#notices .notice', (els) => els.map((e) => e.textContent));
      assert(notices.length === 2, `notices: ${JSON.stringify(notices)}`);
      assert(
        notices.some((n) => n.includes('hidden-dims=64,x')),
        'no notice for hidden-dims',
      );
      assert(
        notices.some((n) => n.includes("unknown field 'colour'")),
        'no notice for the unknown field',
      );
      const s = await state(page);
      assert(s.config.data.dataset === 'spiral', 'the valid field was not kept');
      assert(await page.isVisible('#notices .notice'), 'the notice is not visible');
      await page.screenshot({ path: join(shotsDir, 'bad-url.png'), fullPage: false });
      await page.close();
    });

    // 9. An error in the worker is shown; Reset recovers.
    await check('a training error is shown in the page and Reset recovers', 30_000, async () => {
      const { page } = await open(context, base, '?dataset=spiral&update-rule=sgd&learning-rate=1e30');
      await page.click('[data-testid=play]');
      await waitStatus(page, 'error', 20_000);
      await page.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 5_000 });
      const text = await page.textContent('[data-testid=error]');
      assert(/NaN|Infinity|non-finite/i.test(text), `error text: ${text}`);
      await page.screenshot({ path: join(shotsDir, 'error.png'), fullPage: false });
      await page.fill('[data-field="solver.learningRate"]', '0.01');
      await page.press('[data-field="solver.learningRate"]', 'Enter');
      await waitStatus(page, 'ready', 10_000);
      assert(await page.isHidden('[data-testid=error]'), 'the error is still shown');
      await page.click('[data-testid=step]');
      await waitStatus(page, 'paused', 10_000);
      // Reset on a failed run (same settings) rebuilds it too.
      await page.click('[data-testid=reset]');
      await waitStatus(page, 'ready', 10_000);
      assert((await state(page)).iteration === 0, 'reset did not start over');
      await page.close();
    });
  } catch (error) {
    results.push({
      name: 'e2e setup',
      status: 'failed',
      duration: 0,
      message: String(error?.message ?? error),
    });
    console.log(`  ✗ e2e setup: ${error?.message ?? error}`);
    if (serverLog) console.log(serverLog);
  } finally {
    await browser?.close().catch(() => undefined);
    server.kill('SIGTERM');
  }
  const failed = results.filter((r) => r.status === 'failed');
  const report = {
    numTotalTests: results.length,
    numPassedTests: results.length - failed.length,
    numFailedTests: failed.length,
    numPendingTests: 0,
    success: failed.length === 0,
    testResults: [
      {
        name: 'apps/playground/e2e/run.mjs',
        status: failed.length === 0 ? 'passed' : 'failed',
        assertionResults: results.map((r) => ({
          title: r.name,
          fullName: `playground e2e › ${r.name}`,
          status: r.status,
          duration: r.duration,
          failureMessages: r.message ? [r.message] : [],
        })),
      },
    ],
  };
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'e2e.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${report.numPassedTests} passed, ${report.numFailedTests} failed`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

const hardStop = setTimeout(() => {
  console.error('e2e: hard time limit (10 min) reached');
  server?.kill('SIGTERM');
  process.exit(1);
}, 600_000);
hardStop.unref();
await main();
