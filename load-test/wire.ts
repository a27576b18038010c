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
  /**
   * Estimated read request units: 1 per item for a strongly consistent read, 0.5 for an eventually
   * consistent one (items ≤ 4 KB); a Query counts as one item read (its smallest charge).
   */
  readUnits: number;
  /** Write units by what was written: `<table>` or `<table> <item kind>` (the alerts table's `pk` prefix). */
  writeUnitsByKind: Record<string, number>;
  /** Item writes by the same kinds. */
  itemWritesByKind: Record<string, number>;
}

/** What the counter must know about the tables: how many global secondary indexes each one has (every item write also writes them). */
export interface WireTables {
  indexesByTable?: Record<string, number>;
}

/** The kind of an alerts-table item from its `pk`: `state#session`, `state#user`, `traffic`, `baseline`, `alert`, `history`. */
function itemKind(table: string, key: Record<string, unknown> | undefined): string {
  const pk = (key?.pk as { S?: string } | undefined)?.S;
  if (pk === undefined) return table;
  const parts = pk.split('#');
  return `${table} ${parts[0] === 'state' ? parts.slice(0, 2).join('#') : parts[0]}`;
}

export class WireCounter {
  private readonly counts: WireCounts = { requests: {}, itemWrites: {}, writeUnits: {}, itemReads: 0, readUnits: 0, writeUnitsByKind: {}, itemWritesByKind: {} };
  private readonly onServer = (message: unknown) => this.server(message as { request: IncomingMessage; server: Server });
  private readonly onClient = (message: unknown) => this.client(message as { request: ClientRequest });

  constructor(
    private readonly ports: { kinesis: number; dynamodb: number; aws: number },
    private readonly tables: WireTables = {},
  ) {}

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
    if (!/^(BatchWriteItem|PutItem|UpdateItem|DeleteItem|BatchGetItem|GetItem|Query)$/.test(operation)) return;
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) return;
    try {
      this.countItems(operation, JSON.parse(Buffer.from(body).toString('utf8')) as Record<string, unknown>);
    } catch (error) {
      process.stderr.write(`wire counter: unreadable ${operation} body: ${(error as Error).message}\n`);
    }
  }

  private countItems(operation: string, body: Record<string, unknown>): void {
    const write = (table: string, units: number, key: Record<string, unknown> | undefined) => {
      // Each global secondary index of the table is written too (1 unit for a small projection).
      const total = units + (this.tables.indexesByTable?.[table] ?? 0);
      const kind = itemKind(table, key);
      this.counts.itemWrites[table] = (this.counts.itemWrites[table] ?? 0) + 1;
      this.counts.writeUnits[table] = (this.counts.writeUnits[table] ?? 0) + total;
      this.counts.itemWritesByKind[kind] = (this.counts.itemWritesByKind[kind] ?? 0) + 1;
      this.counts.writeUnitsByKind[kind] = (this.counts.writeUnitsByKind[kind] ?? 0) + total;
    };
    const unitsOf = (item: unknown) => Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(item ?? {})) / 1024));
    const readUnit = (request: { ConsistentRead?: boolean }) => (request.ConsistentRead === true ? 1 : 0.5);
    switch (operation) {
      case 'BatchWriteItem':
        for (const [table, requests] of Object.entries((body.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item: Record<string, unknown> }; DeleteRequest?: { Key: Record<string, unknown> } }>>)) {
          for (const entry of requests) write(table, entry.PutRequest ? unitsOf(entry.PutRequest.Item) : 1, entry.PutRequest?.Item ?? entry.DeleteRequest?.Key);
        }
        return;
      case 'PutItem':
        write(String(body.TableName), unitsOf(body.Item), body.Item as Record<string, unknown>);
        return;
      case 'UpdateItem':
      case 'DeleteItem':
        write(String(body.TableName), 1, body.Key as Record<string, unknown>);
        return;
      case 'BatchGetItem':
        for (const request of Object.values((body.RequestItems ?? {}) as Record<string, { Keys: unknown[]; ConsistentRead?: boolean }>)) {
          this.counts.itemReads += request.Keys.length;
          this.counts.readUnits += request.Keys.length * readUnit(request);
        }
        return;
      case 'GetItem':
        this.counts.itemReads++;
        this.counts.readUnits += readUnit(body as { ConsistentRead?: boolean });
        return;
      case 'Query':
        this.counts.readUnits += readUnit(body as { ConsistentRead?: boolean });
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
