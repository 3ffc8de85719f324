#!/usr/bin/env node
// Sums the vitest JSON reports (test-results/*.json, written when CI is set) of every workspace
// package and the end-to-end runs, and prints the one closing line CI reads: "N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const group of ['.', 'packages', 'apps', 'bench']) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  const dirs = group === 'bench' || group === '.' ? [base] : readdirSync(base).map((d) => join(base, d));
  for (const dir of dirs) {
    const results = join(dir, 'test-results');
    if (!existsSync(results)) continue;
    for (const file of readdirSync(results).filter((f) => f.endsWith('.json'))) {
      const report = JSON.parse(readFileSync(join(results, file), 'utf8'));
      const p = report.numPassedTests ?? 0;
      // A suite that failed to load counts as a failure even when it reports no tests.
      const f =
        (report.numFailedTests ?? 0) +
        (report.numFailedTestSuites && !report.numFailedTests ? report.numFailedTestSuites : 0);
      const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
      passed += p;
      failed += f;
      skipped += s;
      rows.push(`${dir.slice(root.length) || '.'}/${file}: ${p} passed, ${f} failed`);
    }
  }
}
for (const r of rows) console.log(`  ${r}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
