// pnpm hooks. beforePacking: the "@backprop/source" export condition points at src/ for tests and
// typecheck inside this workspace; src/ is not published, so the condition is removed from the
// manifest that goes into the tarball (pnpm pack / publish, which changesets uses).
const SOURCE_CONDITION = '@backprop/source';

function stripSource(value) {
  if (Array.isArray(value)) return value.map(stripSource);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) if (key !== SOURCE_CONDITION) out[key] = stripSource(v);
  return out;
}

module.exports = {
  hooks: {
    beforePacking(pkg) {
      if (pkg.exports) pkg.exports = stripSource(pkg.exports);
      delete pkg.devDependencies;
      delete pkg.scripts;
      return pkg;
    },
  },
};
