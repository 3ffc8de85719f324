// Caches carry a `kind` tag so a backward pass can tell its own forward's cache from a look-alike
// (e.g. affineRelu vs affineNormRelu, which hold the same layers plus a norm). @internal
import { describe } from '@backprop/tensor';

/** What a rejected cache was, for error messages: its kind tag when it has one, else its type. @internal */
export function describeCache(cache: unknown): string {
  if (cache !== null && typeof cache === 'object') {
    const kind = (cache as { kind?: unknown }).kind;
    if (typeof kind === 'string') return `a '${kind}' cache`;
    const keys = Object.keys(cache);
    return keys.length > 0 ? `an object with keys ${keys.join(', ')}` : describe(cache);
  }
  return describe(cache);
}
