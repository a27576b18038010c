/**
 * Counts the pipeline's AWS requests on the wire, for the cost model: every request the services
 * of an in-process local stack make, seen through Node's `diagnostics_channel`
 * (https://nodejs.org/api/diagnostics_channel.html#http). Kinesis is served in process
 * (kinesalite), so its requests are read on the server side; DynamoDB (dynalite), S3 and SNS
 * (fauxqs) run in child processes and are read on the client side, DynamoDB bodies included
 * (items per BatchWriteItem).
 * Requests the load test makes itself carry the `x-load-test` header and are left out.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { ClientRequest, type IncomingMessage, type Server } from 'node:http';

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

  private originalEnd?: ClientRequest['end'];

  start(): void {
    diagnosticsChannel.subscribe('http.server.request.start', this.onServer);
    diagnosticsChannel.subscribe('http.client.request.start', this.onClient);
    const counter = this;
    const dynamodbHost = `127.0.0.1:${this.ports.dynamodb}`;
    const originalEnd = ClientRequest.prototype.end;
    this.originalEnd = originalEnd;
    ClientRequest.prototype.end = function end(this: ClientRequest, ...args: unknown[]) {
      if (this.getHeader('host') === dynamodbHost && this.getHeader(LOAD_TEST_HEADER) === undefined) counter.dynamodb(this, args[0]);
      return (originalEnd as (...params: unknown[]) => ClientRequest).apply(this, args);
    } as ClientRequest['end'];
  }

  stop(): void {
    diagnosticsChannel.unsubscribe('http.server.request.start', this.onServer);
    diagnosticsChannel.unsubscribe('http.client.request.start', this.onClient);
    if (this.originalEnd) ClientRequest.prototype.end = this.originalEnd;
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
  }

  /**
   * A DynamoDB request the services send: counted, with its body. Node publishes
   * `http.client.request.start` only after the body is written, so the body is taken from
   * `ClientRequest.prototype.end` (the SDK sends JSON bodies with one `end(body)` call), wrapped
   * for the length of the run.
   */
  private dynamodb(request: ClientRequest, body: unknown): void {
    const target = String(request.getHeader('x-amz-target') ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    this.bump(`dynamodb:${operation}`);
    if (!/^(BatchWriteItem|PutItem|UpdateItem|DeleteItem|BatchGetItem|GetItem)$/.test(operation)) return;
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) return;
    try {
      this.countItems(operation, JSON.parse(Buffer.from(body).toString('utf8')) as Record<string, unknown>);
    } catch (error) {
      process.stderr.write(`wire counter: unreadable ${operation} body: ${(error as Error).message}\n`);
    }
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
