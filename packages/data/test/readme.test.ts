// The README's ```ts examples run as programs on this package's sources, so the docs cannot rot.
import { describe, expect, it } from 'vitest';
import { describeRun, readmeExamples, runExample, syntaxErrors } from '../../../scripts/readme-examples.ts';

const packageDir = new URL('..', import.meta.url);
const examples = readmeExamples(packageDir);

describe('README.md examples', () => {
  it('has at least one example that runs', () => {
    expect(examples.filter((e) => e.run).length).toBeGreaterThan(0);
  });
  for (const example of examples) {
    if (example.run) {
      it(`${example.title} runs without throwing`, async () => {
        const result = await runExample(packageDir, example, { nodeArgs: ['--conditions=@backprop/source'] });
        expect(result.exitCode, describeRun(example, result)).toBe(0);
      });
    } else {
      it(`${example.title} (no-run) parses`, () => {
        expect(syntaxErrors(example)).toEqual([]);
      });
    }
  }
});
