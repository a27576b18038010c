/**
 * The variable files a platform team passes (cdktf/environments/<env>.tfvars) and the reference
 * of every variable (cdktf/terraform.tfvars.example) against the synthesized stacks: each file
 * belongs to one stack, another stack refuses it, and the reference shows the real defaults.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ENVIRONMENTS, type EnvironmentName } from '../../environments';
import { synthEnv, variableDefaults, type Json } from '../synth';

const CDKTF = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(CDKTF, file), 'utf8');
const stackJson = (environment: EnvironmentName) => synthEnv(environment).json;

/** `name = value` assignments of a var file; values in these files are JSON-compatible HCL. */
function assignments(text: string): Array<[string, unknown]> {
  return text
    .split('\n')
    .map((line) => /^(\w+)\s*=\s*(.+?)\s*(#.*)?$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => [match[1]!, JSON.parse(match[2]!) as unknown]);
}

/**
 * Evaluates the environment guard of a stack (`var.environment == "<env>"`) for a value: the
 * one validation shape these tests need, so a file crossing environments is shown refused.
 */
function guardAccepts(json: Json, value: unknown): boolean {
  const condition = json.variable.environment.validation[0].condition as string;
  const guard = /^\$\{var\.environment == "([a-z]+)"\}$/.exec(condition);
  if (guard === null) throw new Error(`unexpected environment guard ${condition}`);
  return value === guard[1];
}

describe.each(ENVIRONMENTS)('cdktf/environments/%s.tfvars', (environment) => {
  const values = assignments(read(`environments/${environment}.tfvars`));
  const json = stackJson(environment);

  it('starts with its own environment, which its stack accepts', () => {
    expect(values[0]).toEqual(['environment', environment]);
    expect(guardAccepts(json, environment)).toBe(true);
  });

  it.each(ENVIRONMENTS.filter((other) => other !== environment))('is refused by the %s stack', (other) => {
    const otherJson = stackJson(other);
    expect(guardAccepts(otherJson, values[0]![1])).toBe(false);
    expect(otherJson.variable.environment.validation[0].error_message).toContain(`This is the ${other} stack`);
  });

  it('sets only variables its stack declares, each once, with values of the declared type', () => {
    const names = values.map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
    for (const [name, value] of values) {
      const variable = json.variable[name];
      expect({ name, declared: variable !== undefined }).toEqual({ name, declared: true });
      const type = variable.type as string;
      if (type.startsWith('list')) expect(Array.isArray(value)).toBe(true);
      else expect(typeof value).toBe({ string: 'string', number: 'number', bool: 'boolean' }[type]);
    }
  });

  it('shows the deploy command with an absolute var-file path (terraform runs in cdktf.out/stacks/<stack>/)', () => {
    expect(read(`environments/${environment}.tfvars`)).toContain(`npx -p cdktn-cli@0.24.0 cdktn deploy clickstream-${environment} --var-file="$PWD/cdktf/environments/${environment}.tfvars"`);
  });
});

describe('cdktf/terraform.tfvars.example', () => {
  const text = read('terraform.tfvars.example');
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const entries = lines
    .map((line) => /^# (\w+)\s*=\s*("[^"]*"|\[[^\]]*\]|[^\s#]+)\s*(?:#\s*(.*))?$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ name: match[1]!, value: JSON.parse(match[2]!) as unknown, note: match[3] ?? '' }));
  const defaults = Object.fromEntries(ENVIRONMENTS.map((environment) => [environment, variableDefaults(stackJson(environment))])) as Record<EnvironmentName, Record<string, unknown>>;

  it('sets nothing: every line is a comment', () => {
    expect(assignments(text)).toEqual([]);
    expect(lines.every((line) => line.startsWith('#'))).toBe(true);
  });

  it('lists every declared variable once, with the dev default', () => {
    expect(entries.map((entry) => entry.name).sort()).toEqual(Object.keys(defaults.dev).sort());
    expect(Object.fromEntries(entries.map((entry) => [entry.name, entry.value]))).toEqual(defaults.dev);
  });

  it('gives the staging and prod defaults wherever they differ from dev', () => {
    for (const entry of entries) {
      const differs = JSON.stringify(defaults.staging[entry.name]) !== JSON.stringify(entry.value) || JSON.stringify(defaults.prod[entry.name]) !== JSON.stringify(entry.value);
      const annotated = /^staging: ("[^"]*"|\[[^\]]*\]|[^\s;]+); prod: ("[^"]*"|\[[^\]]*\]|[^\s(]+)/.exec(entry.note);
      expect({ name: entry.name, annotated: annotated !== null }).toEqual({ name: entry.name, annotated: differs });
      if (annotated) {
        expect({ name: entry.name, staging: JSON.parse(annotated[1]!), prod: JSON.parse(annotated[2]!) }).toEqual({
          name: entry.name,
          staging: defaults.staging[entry.name],
          prod: defaults.prod[entry.name],
        });
      }
    }
  });
});
