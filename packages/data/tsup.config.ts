import { packageConfig } from '../../tsup.shared';

// Two entries: the main one (bytes in, runs anywhere) and './node' (reads directories). `shims`
// gives the CJS build of node.ts an import.meta.url, which locates the embedded assets.
export default packageConfig({ entry: ['src/index.ts', 'src/node.ts'], shims: true });
