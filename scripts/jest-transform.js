// Jest transformer: TypeScript and ES-module JavaScript to CommonJS with esbuild (already the
// bundler). Used instead of swc/babel: this project's npm registry serves esbuild's native
// package for every platform, so the lockfile installs anywhere.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const loader = filename.endsWith('.ts') ? 'ts' : 'js';
    const { code, map } = transformSync(source, {
      loader,
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    });
    return { code, map };
  },
};
