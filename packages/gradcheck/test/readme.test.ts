// The README's ```ts examples run as programs on this package's sources, so the docs cannot rot.
import { describe, expect, it } from 'vitest';
import {
  describeRun,
  extractExamples,
  readmeExamples,
  runExample,
  syntaxErrors,
} from '../../../scripts/readme-examples.ts';

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

// The shared tool behind every package's README test (scripts/readme-examples.ts), tested once here.
describe('extractExamples', () => {
  const fence = '```';
  it('takes ts blocks with their line numbers and skips other languages', () => {
    const md = [
      '# T',
      `${fence}sh`,
      'npm i x',
      fence,
      `${fence}ts`,
      'const a = 1;',
      fence,
      `${fence}typescript`,
      'a;',
      fence,
    ].join('\n');
    expect(extractExamples(md)).toEqual([
      { lines: [5], code: 'const a = 1;\n', run: true, title: 'README.md:5' },
      { lines: [8], code: 'a;\n', run: true, title: 'README.md:8' },
    ]);
  });
  it("joins a 'continued' block to the one before it, and 'no-run' stops the chain from running", () => {
    const md = [
      `${fence}ts`,
      'let a = 1;',
      fence,
      'text',
      `${fence}ts continued`,
      'a++;',
      fence,
      `${fence}ts no-run`,
      'fetch(x);',
      fence,
      `${fence}ts continued`,
      'y;',
      fence,
    ].join('\n');
    expect(extractExamples(md, 'X.md')).toEqual([
      { lines: [1, 5], code: 'let a = 1;\na++;\n', run: true, title: 'X.md:1+5' },
      { lines: [8, 11], code: 'fetch(x);\ny;\n', run: false, title: 'X.md:8+11' },
    ]);
  });
  it('closes a fence only with the same character and at least its length', () => {
    const md = ['~~~~ts', '```', 'const s = 1;', '~~~', '~~~~', `${fence}ts`, 'b;', fence].join('\n');
    expect(extractExamples(md).map((e) => e.code)).toEqual(['```\nconst s = 1;\n~~~\n', 'b;\n']);
  });
  it('throws for an unclosed block, an unknown flag and a continued block with nothing before it', () => {
    expect(() => extractExamples(`# T\n${fence}ts\nconst a = 1;\n`)).toThrow(
      'README.md:2: the code block is never closed',
    );
    expect(() => extractExamples(`${fence}ts norun\na;\n${fence}`)).toThrow(
      "README.md:1: unknown flag 'norun' (known: continued, no-run)",
    );
    expect(() => extractExamples(`${fence}ts continued\na;\n${fence}`)).toThrow(
      "README.md:1: a 'continued' block needs a ts block before it",
    );
  });
});

describe('runExample and syntaxErrors', () => {
  const example = (code: string) => ({ lines: [1], code, run: true, title: 'T.md:1' });
  it('reports a thrown error as a failed run, with the error in stderr', async () => {
    const result = await runExample(packageDir, example("throw new Error('docs rotted');\n"));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('docs rotted');
    expect(describeRun(example(''), result)).toMatch(
      /^T\.md:1 exited with 1\n--- stderr\n[\s\S]*docs rotted/,
    );
  });
  it('runs TypeScript with top-level await, imports the package by name and works in a scratch directory', async () => {
    const code = [
      "import { relError } from '@backprop/gradcheck';",
      "import { writeFileSync } from 'node:fs';",
      'const n: number = await Promise.resolve(relError(1, 3));',
      "writeFileSync('out.txt', 'x');",
      'console.log(n, process.cwd() === import.meta.dirname);',
    ].join('\n');
    const result = await runExample(packageDir, example(code), {
      nodeArgs: ['--conditions=@backprop/source'],
    });
    expect(result).toEqual({ exitCode: 0, stdout: '0.5 false\n', stderr: '' });
  });
  it('finds syntax errors but not type errors', () => {
    expect(syntaxErrors(example('const a: number = "not a number";\n'))).toEqual([]);
    expect(syntaxErrors(example('const a = 1;\nconst b = ;\n'))).toEqual(['2:11 Expression expected.']);
  });
});
