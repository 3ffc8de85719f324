import pkg from '../package.json';

/** The CLI's version, from its package.json. */
export const version: string = pkg.version;
