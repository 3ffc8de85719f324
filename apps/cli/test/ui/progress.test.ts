import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TrainingProgress } from '../../src/ui/progress';

describe('TrainingProgress without a terminal', () => {
  it('prints a line every printEvery iterations and at the last one', () => {
    const lines: string[] = [];
    const progress = new TrainingProgress(null, (t) => lines.push(t), 25, 5, 0, 10);
    for (let i = 1; i <= 25; i++) progress.update({ iteration: i, epoch: Math.floor(i / 5), loss: 1 / i });
    progress.stop();
    expect(lines.map((l) => l.split('  ')[0])).toEqual([
      'iteration 10/25',
      'iteration 20/25',
      'iteration 25/25',
    ]);
    expect(lines[0]).toMatch(/^iteration 10\/25 {2}epoch 2\/5 {2}loss 0\.1000 {2}\d+\.\d it\/s {2}ETA .+\n$/);
  });

  it('a resumed run keeps the same line schedule', () => {
    const lines: string[] = [];
    const progress = new TrainingProgress(null, (t) => lines.push(t), 40, 4, 13, 10);
    for (let i = 14; i <= 40; i++) progress.update({ iteration: i, epoch: 1, loss: 0.5 });
    expect(lines.map((l) => l.split('  ')[0])).toEqual([
      'iteration 20/40',
      'iteration 30/40',
      'iteration 40/40',
    ]);
  });

  it('log() writes the line as is', () => {
    const lines: string[] = [];
    new TrainingProgress(null, (t) => lines.push(t), 10, 1, 0, 5).log('row\n');
    expect(lines).toEqual(['row\n']);
  });
});

describe('TrainingProgress on a terminal', () => {
  it('draws a bar and prints every logged line above it, the last one too', () => {
    let output = '';
    const tty = new Writable({
      write(chunk, _encoding, done) {
        output += chunk;
        done();
      },
    }) as Writable & { isTTY: boolean; columns: number };
    tty.isTTY = true;
    tty.columns = 120;
    const progress = new TrainingProgress(tty, () => {}, 10, 2, 0, 5);
    progress.log('row one');
    for (let i = 1; i <= 10; i++) progress.update({ iteration: i, epoch: i >= 5 ? 1 : 0, loss: 0.25 });
    progress.log('row two');
    progress.stop();
    expect(output).toContain('row one\n');
    expect(output).toContain('row two\n');
    expect(output).toMatch(
      /train \|[\u2588\u2591]+\| \d+% \d+\/10 \| epoch \d\/2 \| loss 0\.2500 \| [\d.]+ it\/s \| ETA/,
    );
  });
});
