import { buildTracker, gzippedBytes } from '../../../tracker/build';

describe('the browser tracker build', () => {
  it('makes a classic script defining window.clickstream and an ES module, each under 5 KB gzipped, with no imports', async () => {
    const { classic, module } = await buildTracker();
    expect(classic).toMatch(/clickstream=/);
    expect(module).toMatch(/export\s*\{/);
    expect(classic).not.toMatch(/\brequire\(|\bimport\s*\(|^import /m);
    expect(module).not.toMatch(/^import /m);
    for (const build of [classic, module]) expect(gzippedBytes(build)).toBeLessThan(5 * 1024);
  });
});
