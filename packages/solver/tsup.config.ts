import { packageConfig } from '../../tsup.shared';

// Two entries: the browser-safe main entry and the Node-only '@backprop/solver/node' (atomic file writes).
export default packageConfig({ entry: ['src/index.ts', 'src/node.ts'] });
