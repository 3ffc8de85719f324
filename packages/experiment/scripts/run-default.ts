// Trains an experiment the way `backprop train` does (defaults, or a JSON patch as the first
// argument) and prints accuracy and time: how the defaults were chosen.
//   npx tsx --conditions=@backprop/source packages/experiment/scripts/run-default.ts ['{"solver":{"numEpochs":3}}']
import { loadDataset } from '@backprop/data/node';
import { buildModel, buildSolver, parseExperiment, prepareData } from '../src/index';

const config = parseExperiment(JSON.parse(process.argv[2] ?? '{}'));
const t0 = performance.now();
const data = prepareData(config, await loadDataset(config.data));
const t1 = performance.now();
const model = buildModel(config, data.inputShape, data.numClasses);
const solver = buildSolver(config, model, data);
solver.on('epoch', (e) =>
  console.log(
    `epoch ${e.epoch}/${e.numEpochs} train ${e.trainAcc.toFixed(3)} val ${e.valAcc.toFixed(3)} (${((performance.now() - t1) / 1000).toFixed(1)} s)`,
  ),
);
solver.train();
const t2 = performance.now();
const testAcc = solver.checkAccuracy(data.XTest, data.yTest);
console.log(
  JSON.stringify({
    bestValAcc: solver.bestValAcc,
    testAcc,
    prepareSeconds: +((t1 - t0) / 1000).toFixed(2),
    trainSeconds: +((t2 - t1) / 1000).toFixed(2),
    iterations: solver.lossHistory.length,
  }),
);
