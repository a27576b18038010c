/**
 * package.json's engines field against what the pinned dependencies declare: every dependency
 * must run on every Node version the project accepts, or be listed here with the reason the
 * project runs it there anyway (and README's deploy section says what deploying needs).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const packageJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { engines?: { node?: string }; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const project = packageJson(path.join(REPO_ROOT, 'package.json'));

/** Dependencies whose declared engine is above the project's, with the reason that is fine. */
const ENGINE_EXCEPTIONS: Readonly<Record<string, string>> = {
  '@cdktn/provider-aws':
    'declares Node >= 22.11 (npm prints EBADENGINE on Node 20) but is generated bindings; synth and every cdktf test run on Node 20 in CI. Deploying needs Node >= 22.19 anyway, for cdktn-cli.',
};

type Version = [number, number, number];
const parseVersion = (text: string): Version => {
  const parts = text.split('.').map(Number);
  if (parts.length > 3 || parts.some((part) => !Number.isInteger(part))) throw new Error(`cannot read version "${text}"`);
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
};
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** The lowest version from which a range accepts every later version (`>=A` alternatives), or undefined. */
function openLowerBound(range: string): Version | undefined {
  const bounds = range.split('||').map((alternative) => alternative.trim()).map((alternative) => {
    const open = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(alternative);
    if (open) return parseVersion(open[1]!);
    if (/^\^\d+(\.\d+){0,2}$/.test(alternative)) return undefined;
    throw new Error(`cannot read engine range "${range}"`);
  });
  return bounds.filter((bound): bound is Version => bound !== undefined).sort(compare)[0];
}

describe('engines', () => {
  const minimum = openLowerBound(project.engines!.node!)!;
  const dependencies = Object.keys({ ...project.dependencies, ...project.devDependencies });
  const declared = dependencies
    .map((name) => [name, packageJson(path.join(REPO_ROOT, 'node_modules', name, 'package.json')).engines?.node] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined);

  it('reads the ranges the dependencies use', () => {
    expect(openLowerBound('>=20.0.0')).toEqual([20, 0, 0]);
    expect(openLowerBound('>= 22.11.0')).toEqual([22, 11, 0]);
    expect(openLowerBound('^14.15.0 || ^16.10.0 || >=18.0.0')).toEqual([18, 0, 0]);
    expect(openLowerBound('^20.0.0')).toBeUndefined();
    expect(() => openLowerBound('20.x')).toThrow(/cannot read/);
  });

  it('accepts Node 20.11 and later, the version CI runs (Lambda runs nodejs22.x)', () => {
    expect(project.engines).toEqual({ node: '>=20.11' });
  });

  it('lets every dependency run on every accepted Node version, or says why one may not', () => {
    const tooNew = declared.filter(([, range]) => {
      const bound = openLowerBound(range);
      return bound === undefined || compare(bound, minimum) > 0;
    });
    expect(tooNew.map(([name]) => name).sort()).toEqual(Object.keys(ENGINE_EXCEPTIONS).sort());
    for (const name of Object.keys(ENGINE_EXCEPTIONS)) expect(dependencies).toContain(name);
  });
});
