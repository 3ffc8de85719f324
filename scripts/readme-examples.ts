// README examples as tests (test tooling, not a package): every ```ts block of a package's README.md
// is a program that must run. Used by packages/*/test/readme.test.ts (on sources, through the
// "@backprop/source" condition) and by scripts/pack-check.mjs (type-checked and run against the
// installed tarballs).
//
// Fence info strings (GitHub highlights by the first word only, so readers see plain `ts`):
//   ```ts            a complete program: run it.
//   ```ts continued  appended to the block before it (the two run as one program), e.g. a second
//                    snippet that uses the `solver` of the first.
//   ```ts no-run     shown but not run (browser-only code): syntax-checked here, type-checked by
//                    pack-check. A `continued` block after it does not run either.
// Blocks in other languages (sh, plain text) are ignored.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** One program from a README: a block and the `continued` blocks after it. */
export interface ReadmeExample {
  /** 1-based line numbers of the opening fences, the first block's first. */
  lines: number[];
  /** The program: the blocks' code joined in order. */
  code: string;
  /** False for a `no-run` chain. */
  run: boolean;
  /** 'README.md:15' or 'README.md:15+80' (a test's name). */
  title: string;
}

const LANGUAGES = new Set(['ts', 'typescript']);
const FLAGS = new Set(['continued', 'no-run']);

/**
 * The ```ts examples of a Markdown document, each `continued` block joined to the one before it.
 * @throws Error for an unclosed fence, an unknown flag, or a `continued` block with nothing before it
 */
export function extractExamples(markdown: string, file = 'README.md'): ReadmeExample[] {
  const lines = markdown.split(/\r?\n/);
  const examples: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, fence, language, rest] = open;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length; i++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[i]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(lines[i]);
    }
    if (i === lines.length) throw new Error(`${file}:${start}: the code block is never closed`);
    if (!LANGUAGES.has(language.toLowerCase())) continue;
    const flags = rest.split(/\s+/).filter(Boolean);
    const unknown = flags.filter((f) => !FLAGS.has(f));
    if (unknown.length > 0) {
      throw new Error(`${file}:${start}: unknown flag '${unknown[0]}' (known: ${[...FLAGS].join(', ')})`);
    }
    const code = `${body.join('\n')}\n`;
    if (flags.includes('continued')) {
      const previous = examples.at(-1);
      if (!previous) throw new Error(`${file}:${start}: a 'continued' block needs a ts block before it`);
      previous.lines.push(start);
      previous.code += code;
      previous.run &&= !flags.includes('no-run');
      previous.title = `${file}:${previous.lines.join('+')}`;
    } else {
      examples.push({ lines: [start], code, run: !flags.includes('no-run'), title: `${file}:${start}` });
    }
  }
  return examples;
}

/** The examples of `<packageDir>/README.md`. */
export function readmeExamples(packageDir: string | URL): ReadmeExample[] {
  const dir = typeof packageDir === 'string' ? packageDir : fileURLToPath(packageDir);
  return extractExamples(readFileSync(join(dir, 'README.md'), 'utf8'));
}

/** TypeScript's syntax errors in an example, formatted 'line:column message' (type errors are not looked for). */
export function syntaxErrors(example: ReadmeExample): string[] {
  const { diagnostics = [] } = ts.transpileModule(example.code, {
    reportDiagnostics: true,
    fileName: 'example.mts',
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  return diagnostics.map((d) => {
    const { line, character } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${line + 1}:${character + 1} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/** The tsx loader (a file URL), which lets plain `node` run TypeScript. */
export const tsxLoader: string = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs'),
).href;

export interface RunOptions {
  /** Extra node flags, e.g. ['--conditions=@backprop/source'] to run on a workspace's sources. */
  nodeArgs?: string[];
  /** Kill the program after this long; default 60 s. */
  timeoutMs?: number;
}

export interface RunResult {
  /** The exit status; null when the program was killed (timeout). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an example as an ES module with `node --import tsx`, from a file inside `packageDir` next to
 * a node_modules that links every workspace package (so its bare imports resolve as in a project that
 * installed them, and third-party ones as from the package itself) and with a fresh empty temporary directory as the working directory (files the example
 * writes land there and are removed afterwards).
 */
export function runExample(
  packageDir: string | URL,
  example: ReadmeExample,
  opts: RunOptions = {},
): Promise<RunResult> {
  const dir = typeof packageDir === 'string' ? packageDir : fileURLToPath(packageDir);
  const scratch = join(dir, 'test-results');
  mkdirSync(scratch, { recursive: true });
  const home = mkdtempSync(join(scratch, 'readme-'));
  const cwd = mkdtempSync(join(tmpdir(), 'backprop-readme-'));
  // Every workspace package is installed next to the program, as a user who followed the README's
  // `npm install` line has them (the links lead to the sources; the package's own dependencies
  // resolve from its real directory).
  mkdirSync(join(home, 'node_modules', '@backprop'), { recursive: true });
  for (const [name, target] of workspacePackages())
    symlinkSync(target, join(home, 'node_modules', name), 'dir');
  const file = join(home, `example-${example.lines[0]}.mts`);
  writeFileSync(file, example.code);
  const args = [...(opts.nodeArgs ?? []), '--import', tsxLoader, file];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      {
        cwd,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 16 << 20,
        env: { ...process.env, NODE_OPTIONS: '' },
      },
      (error, stdout, stderr) => {
        rmSync(home, { recursive: true, force: true });
        rmSync(cwd, { recursive: true, force: true });
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ exitCode: code, stdout, stderr });
      },
    );
  });
}

/** Name → directory of every package under packages/ of this workspace. */
function workspacePackages(): [string, string][] {
  const packagesDir = fileURLToPath(new URL('../packages/', import.meta.url));
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(packagesDir, d.name, 'package.json')))
    .map((d) => {
      const dir = join(packagesDir, d.name);
      return [JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name as string, dir];
    });
}

/** One line for a failed run: the status and the output, for assertion messages. */
export function describeRun(example: ReadmeExample, result: RunResult): string {
  const status = result.exitCode === null ? 'was killed (timeout)' : `exited with ${result.exitCode}`;
  return `${example.title} ${status}\n--- stderr\n${result.stderr}\n--- stdout\n${result.stdout}`;
}
