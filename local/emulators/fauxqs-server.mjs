// Runs fauxqs (SNS, SQS and S3 in memory) bound to 127.0.0.1. fauxqs ships ES modules only, so
// the local stack starts it as a child process; it prints {"port":N} once it listens.
import { buildApp } from 'fauxqs';

const requested = Number(process.argv[2] ?? '0');
const app = buildApp({ logger: false, host: '127.0.0.1' });
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
