// Runs dynalite (DynamoDB) bound to 127.0.0.1 in its own process, so the emulator's CPU work does
// not compete with the services and Kinesis on the stack's thread. Prints {"port":N} once it
// listens. Arguments: <port> [<LevelDB path>].
const dynalite = require('dynalite');

const port = Number(process.argv[2] ?? '0');
const path = process.argv[3];
const server = dynalite({ createTableMs: 20, deleteTableMs: 20, updateTableMs: 20, ...(path ? { path } : {}) });
server.on('error', (error) => {
  process.stderr.write(`${error.code === 'EADDRINUSE' ? 'EADDRINUSE ' : ''}${error.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Exit with the parent: when the local stack dies, its stdin pipe closes.
process.stdin.on('end', stop);
process.stdin.resume();
