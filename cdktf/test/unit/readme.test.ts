/** The README's deploy section documents what the stacks declare, with commands that work as written. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { synthEnv } from '../synth';

const readme = readFileSync(path.resolve(__dirname, '..', '..', '..', 'README.md'), 'utf8');
const section = /\n(## Deploying to AWS[\s\S]*?)\n## /.exec(readme)![1]!;
const { json } = synthEnv('dev');
const commands = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((block) => block[1]!.split('\n'));

describe('README, Deploying to AWS', () => {
  it('documents every variable', () => {
    const undocumented = Object.keys(json.variable as object).filter((name) => !section.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });

  it('documents every output (per-function ones by their pattern)', () => {
    const documented = (name: string) => section.includes(`\`${name}\``) || section.includes(`\`${name.replace(/_(event_processor|anomaly_detector|archiver)_/, '_<service>_')}\``);
    expect(Object.keys(json.output as object).filter((name) => !documented(name))).toEqual([]);
  });

  it('runs cdktn through npx -p cdktn-cli@0.24.0, stack first, with absolute var-file paths', () => {
    const cdktn = commands.filter((line) => /\bcdktn\b/.test(line));
    expect(cdktn.length).toBeGreaterThanOrEqual(4);
    for (const line of cdktn) {
      expect(line).toMatch(/^npx -p cdktn-cli@0\.24\.0 cdktn (diff|deploy|output|destroy|synth) clickstream-(dev|staging|prod)\b/);
      for (const varFile of line.matchAll(/--var-file=(\S+)/g)) expect(varFile[1]).toMatch(/^"\$PWD\/cdktf\/environments\/(dev|staging|prod)\.tfvars"$/);
    }
    expect(section).not.toMatch(/(^|\n)npx cdktn /);
  });
});
