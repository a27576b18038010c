/**
 * Counts the pipeline's AWS requests on the wire, for the cost model: every request the services
 * of an in-process local stack make, seen through Node's `diagnostics_channel`
 * (https://nodejs.org/api/diagnostics_channel.html#http). DynamoDB and Kinesis are served in
 * process (dynalite, kinesalite), so their requests are read on the server side, body included
 * (items per BatchWriteItem); S3 and SNS (fauxqs, a child process) on the client side.
 * Requests the load test makes itself carry the `x-load-test` header and are left out.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage, Server } from 'node:http';

export const LOAD_TEST_HEADER = 'x-load-test';

export interface WireCounts {
  /** `dynamodb:BatchWriteItem`, `kinesis:GetRecords`, `s3:PUT`, `sns:POST`, `sqs:SendMessage`… */
  requests: Record<string, number>;
  /** DynamoDB item writes per table (BatchWriteItem puts/deletes, PutItem, UpdateItem, DeleteItem). */
  itemWrites: Record<string, number>;
  /** Estimated write request units per table: ⌈item size / 1 KB⌉ for puts; updates and deletes count 1. */
  writeUnits: Record<string, number>;
  /** Items read (BatchGetItem keys, GetItem, Query/Scan not counted by item). */
  itemReads: number;
}

export class WireCounter {
  private readonly counts: WireCounts = { requests: {}, itemWrites: {}, writeUnits: {}, itemReads: 0 };
  private readonly onServer = (message: unknown) => this.server(message as { request: IncomingMessage; server: Server });
  private readonly onClient = (message: unknown) => this.client(message as { request: ClientRequest });

  constructor(private readonly ports: { kinesis: number; dynamodb: number; aws: number }) {}

  start(): void {
    diagnosticsChannel.subscribe('http.server.request.start', this.onServer);
    diagnosticsChannel.subscribe('http.client.request.start', this.onClient);
  }

  stop(): void {
    diagnosticsChannel.unsubscribe('http.server.request.start', this.onServer);
    diagnosticsChannel.unsubscribe('http.client.request.start', this.onClient);
  }

  snapshot(): WireCounts {
    return structuredClone(this.counts);
  }

  private bump(key: string, by = 1): void {
    this.counts.requests[key] = (this.counts.requests[key] ?? 0) + by;
  }

  private server({ request, server }: { request: IncomingMessage; server: Server }): void {
    if (request.headers[LOAD_TEST_HEADER] !== undefined) return;
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : undefined;
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    if (port === this.ports.kinesis) {
      this.bump(`kinesis:${operation}`);
      return;
    }
    if (port !== this.ports.dynamodb) return;
    this.bump(`dynamodb:${operation}`);
    if (!/^(BatchWriteItem|PutItem|UpdateItem|DeleteItem|BatchGetItem|GetItem)$/.test(operation)) return;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        this.countItems(operation, JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      } catch (error) {
        process.stderr.write(`wire counter: unreadable ${operation} body: ${(error as Error).message}\n`);
      }
    });
  }

  private countItems(operation: string, body: Record<string, unknown>): void {
    const write = (table: string, units: number) => {
      this.counts.itemWrites[table] = (this.counts.itemWrites[table] ?? 0) + 1;
      this.counts.writeUnits[table] = (this.counts.writeUnits[table] ?? 0) + units;
    };
    const unitsOf = (item: unknown) => Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(item ?? {})) / 1024));
    switch (operation) {
      case 'BatchWriteItem':
        for (const [table, requests] of Object.entries((body.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item: unknown } }>>)) {
          for (const entry of requests) write(table, entry.PutRequest ? unitsOf(entry.PutRequest.Item) : 1);
        }
        return;
      case 'PutItem':
        write(String(body.TableName), unitsOf(body.Item));
        return;
      case 'UpdateItem':
      case 'DeleteItem':
        write(String(body.TableName), 1);
        return;
      case 'BatchGetItem':
        for (const request of Object.values((body.RequestItems ?? {}) as Record<string, { Keys: unknown[] }>)) this.counts.itemReads += request.Keys.length;
        return;
      case 'GetItem':
        this.counts.itemReads++;
        return;
    }
  }

  private client({ request }: { request: ClientRequest }): void {
    if (request.getHeader(LOAD_TEST_HEADER) !== undefined) return;
    const port = Number((request as ClientRequest & { port?: number }).port ?? /:(\d+)$/.exec(String(request.getHeader('host') ?? ''))?.[1]);
    if (port !== this.ports.aws) return;
    const target = String(request.getHeader('x-amz-target') ?? '');
    if (target.startsWith('AmazonSQS.')) this.bump(`sqs:${target.slice('AmazonSQS.'.length)}`);
    else if (String(request.getHeader('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) this.bump('sns:POST');
    else this.bump(`s3:${request.method}`);
  }
}
