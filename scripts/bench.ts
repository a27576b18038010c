/**
 * `npm run bench`: runs every benchmark under services/<name>/bench/ (or the files given) one
 * after another, each in its own process so one core's numbers are not disturbed by the last.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const requested = process.argv.slice(2);
const HELP = `Usage: npm run bench -- [<file.bench.ts> …]

Runs every benchmark under services/<name>/bench/ (or only the files given), each in its own
process, one after another. Figures and how they were taken: docs/BENCHMARKS.md.
`;
if (requested.includes('--help') || requested.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const unknown = requested.find((arg) => arg.startsWith('-'));
if (unknown !== undefined) {
  process.stderr.write(`npm run bench: unknown option ${unknown} (see \`npm run bench -- --help\`)\n`);
  process.exit(2);
}
const benches =
  requested.length > 0
    ? requested
    : readdirSync(path.join(root, 'services')).flatMap((service) => {
        const dir = path.join(root, 'services', service, 'bench');
        return existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.bench.ts')).map((file) => path.join(dir, file)) : [];
      });

let failed = 0;
for (const bench of benches) {
  console.log(`\n▶ ${path.relative(root, bench)}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', bench], { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (result.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
