// Jest transformer: TypeScript and ES-module JavaScript to CommonJS with esbuild (already the
// bundler). Used instead of swc/babel: this project's npm registry serves esbuild's native
// package for every platform, so the lockfile installs anywhere.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { transformSync, version } = require('esbuild');

// The cache key covers this file too, so changing the options below invalidates jest's cache.
const self = readFileSync(__filename);

module.exports = {
  getCacheKey(source, filename) {
    return createHash('sha1').update(self).update(version).update(filename).update(source).digest('hex');
  },
  process(source, filename) {
    const loader = filename.endsWith('.ts') ? 'ts' : 'js';
    const { code, map } = transformSync(source, {
      loader,
      format: 'cjs',
      target: 'node20',
      // jest runs CommonJS without VM modules: turn import() into require().
      supported: { 'dynamic-import': false },
      sourcemap: 'external',
      sourcefile: filename,
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    });
    return { code, map };
  },
};
