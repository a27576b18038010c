// Runs fauxqs (SNS, SQS and S3) bound to 127.0.0.1. fauxqs ships ES modules only, so the local
// stack starts it as a child process; it prints {"port":N} once it listens. With a directory
// argument, S3 buckets and objects are kept there across restarts (SNS and SQS stay in memory).
import { buildApp } from 'fauxqs';

const requested = Number(process.argv[2] ?? '0');
const s3Directory = process.argv[3];
const s3Store = s3Directory === undefined ? undefined : new (await import('./persistent-s3-store.mjs')).PersistentS3Store(s3Directory);
const app = buildApp({ logger: false, host: '127.0.0.1', ...(s3Store === undefined ? {} : { stores: { s3Store } }) });
await app.listen({ port: requested, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Exit with the parent: when the local stack dies, its stdin pipe closes.
process.stdin.on('end', stop);
process.stdin.resume();
