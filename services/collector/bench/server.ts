/**
 * The collector alone in its own process (its own core), for collector.bench.ts: the local
 * collector server and handler against the Kinesis endpoint it is given, logging at info to a
 * file as on Lambda (one access line and EMF per request). Answers `cpu` with its CPU time.
 */
import { createWriteStream } from 'node:fs';
import { createLogger, resourceNames } from '@clickstream/shared';
import { startLocalCollector } from '../../../local/collector';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/stack';

const [kinesisEndpoint, logFile] = process.argv.slice(2) as [string, string];
const log = createWriteStream(logFile, { flags: 'a' });
const destination = { write: (line: string) => log.write(line) };

void (async () => {
  const names = resourceNames();
  const server = await startLocalCollector({
    port: 0,
    project: 'clickstream-analytics',
    environment: 'dev',
    names,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    kinesisEndpoint,
    logLevel: 'info',
    logger: createLogger({ service: 'collector', level: 'info', destination }),
    emfWriter: (line) => log.write(`${line}\n`),
    env: { COLLECTOR_RATE_LIMIT_PER_SECOND: '0' },
  });
  process.on('message', (message: { cmd: string }) => {
    if (message.cmd === 'cpu') process.send!({ cpu: process.cpuUsage() });
    if (message.cmd === 'stop') void server.close().then(() => log.end(() => process.exit(0)));
  });
  process.send!({ url: server.url });
})();
