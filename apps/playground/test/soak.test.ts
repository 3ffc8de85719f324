// Soak (issue 9): 20,000 training steps driven through the worker's message handler, as the page
// drives it, with the heap measured after a forced collection. Growth allowed: the loss history
// (one number per step, as CS231n's loss_history) plus 1 MB; a leaked tensor per step would be MBs.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { harness, spiralConfig } from './helpers';

const STEPS = Number(process.env.SOAK_STEPS ?? 20_000);

function collect(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

describe('Trainer › soak', () => {
  it(`runs ${STEPS} steps with a flat heap`, async () => {
    const h = harness();
    // 600 points, batch 32: 15 steps an epoch; enough epochs for every step to be a real one.
    await h.trainer.handle({
      type: 'init',
      config: spiralConfig({ solver: { numEpochs: Math.ceil(STEPS / 10), batchSize: 32 } }),
    });
    const chunk = Math.max(1, Math.floor(STEPS / 10));
    let heapAtTenth = 0;
    for (let done = 0; done < STEPS; done += chunk) {
      await h.trainer.handle({ type: 'step', count: Math.min(chunk, STEPS - done) });
      expect(h.of('error')).toEqual([]);
      h.messages.length = 0; // the page consumes messages; the harness must not hoard them
      if (done === 0) {
        collect();
        heapAtTenth = process.memoryUsage().heapUsed;
      }
    }
    collect();
    const growth = process.memoryUsage().heapUsed - heapAtTenth;
    const allowance = (STEPS - chunk) * 8 * 1.5 + 1024 * 1024; // loss history as doubles, with array slack
    console.log(
      `soak: ${STEPS} steps, heap growth ${(growth / 1024).toFixed(0)} KB (allowance ${(allowance / 1024).toFixed(0)} KB)`,
    );
    expect(growth).toBeLessThan(allowance);
  }, 300_000);
});
