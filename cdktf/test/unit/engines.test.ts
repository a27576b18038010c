/**
 * package.json's engines field against what the pinned dependencies declare: every dependency
 * must accept the project's minimum Node version and every later LTS line, or be listed here
 * with the reason the project runs it there anyway (README's deploy section says what deploying
 * needs).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const packageJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { engines?: { node?: string }; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const project = packageJson(path.join(REPO_ROOT, 'package.json'));

/** Dependencies that do not accept every version the project does, with the reason that is fine. */
const ENGINE_EXCEPTIONS: Readonly<Record<string, string>> = {
  '@cdktn/provider-aws':
    'declares Node >= 22.11 (npm prints EBADENGINE on Node 20) but is generated bindings; synth and every cdktf test run on Node 20 in CI. Deploying needs Node >= 22.19 anyway, for cdktn-cli.',
};

/** The LTS lines checked above the minimum (even majors), as far ahead as is worth claiming. */
const LATEST_MAJOR_CHECKED = 30;

type Version = [number, number, number];
const parseVersion = (text: string): Version => {
  const parts = text.split('.').map(Number);
  if (parts.length > 3 || parts.some((part) => !Number.isInteger(part))) throw new Error(`cannot read version "${text}"`);
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
};
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether an engines range (`>=A`, `^A`, alternatives joined by `||`) accepts `version`. */
function accepts(range: string, version: Version): boolean {
  return range.split('||').some((alternative) => {
    const match = /^(>=|\^)\s*(\d+(?:\.\d+){0,2})$/.exec(alternative.trim());
    if (match === null) throw new Error(`cannot read engine range "${range}"`);
    const bound = parseVersion(match[2]!);
    return compare(version, bound) >= 0 && (match[1] === '>=' || version[0] === bound[0]);
  });
}

/** The project's minimum (`>=X.Y`), then the first release of every later even major. */
function versionsToCheck(range: string): Version[] {
  const minimum = /^>=(\d+(?:\.\d+){0,2})$/.exec(range);
  if (minimum === null) throw new Error(`the project's engines range must be ">=X.Y", got "${range}"`);
  const first = parseVersion(minimum[1]!);
  const majors = Array.from({ length: LATEST_MAJOR_CHECKED - first[0] }, (_, i) => first[0] + 1 + i).filter((major) => major % 2 === 0);
  return [first, ...majors.map((major): Version => [major, 0, 0])];
}

describe('engines', () => {
  const checked = versionsToCheck(project.engines!.node!);
  const dependencies = Object.keys({ ...project.dependencies, ...project.devDependencies });
  const declared = dependencies
    .map((name) => [name, packageJson(path.join(REPO_ROOT, 'node_modules', name, 'package.json')).engines?.node] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined);

  it('reads the ranges the dependencies use', () => {
    expect(accepts('>=20.0.0', [20, 12, 0])).toBe(true);
    expect(accepts('>= 22.11.0', [20, 12, 0])).toBe(false);
    expect(accepts('^14.15.0 || ^16.10.0 || >=18.0.0', [24, 0, 0])).toBe(true);
    expect(accepts('^20.12||^22||>=24', [20, 11, 0])).toBe(false);
    expect(accepts('^20.12||^22||>=24', [22, 0, 0])).toBe(true);
    expect(accepts('^20.12||^22||>=24', [23, 0, 0])).toBe(false);
    expect(() => accepts('20.x', [20, 0, 0])).toThrow(/cannot read/);
    expect(versionsToCheck('>=20.12').slice(0, 3)).toEqual([[20, 12, 0], [22, 0, 0], [24, 0, 0]]);
  });

  it('accepts Node 20.12 and later, the version CI runs (Lambda runs nodejs22.x)', () => {
    expect(project.engines).toEqual({ node: '>=20.12' });
  });

  it('lets every dependency run on every accepted LTS version, or says why one may not', () => {
    const refusing = declared.filter(([, range]) => checked.some((version) => !accepts(range, version)));
    expect(refusing.map(([name]) => name).sort()).toEqual(Object.keys(ENGINE_EXCEPTIONS).sort());
    for (const name of Object.keys(ENGINE_EXCEPTIONS)) expect(dependencies).toContain(name);
  });
});
