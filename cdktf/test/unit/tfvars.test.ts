import { readFileSync } from 'node:fs';
import path from 'node:path';
import { synthEnv, variableDefaults } from '../synth';

/** cdktf/terraform.tfvars.example lists every variable with the dev stack's default. */
describe('terraform.tfvars.example', () => {
  const text = readFileSync(path.join(__dirname, '..', '..', 'terraform.tfvars.example'), 'utf8');
  const values = Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^(\w+)\s*=\s*("(?:[^"]*)"|[^\s#]+)/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, JSON.parse(match[2]!) as unknown]),
  );
  const defaults = variableDefaults(synthEnv('dev').json);

  it('covers exactly the declared variables', () => {
    expect(Object.keys(values).sort()).toEqual(Object.keys(defaults).sort());
  });

  it('shows the defaults', () => {
    expect(values).toEqual(defaults);
  });
});
