import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The capacity units DynamoDB reports for every request of this process's clients
 * (`ReturnConsumedCapacity: TOTAL`, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ConsumedCapacity.html):
 * writes billed by the larger of the item before and after (per KB), reads per 4 KB (half for
 * eventually consistent ones). A write whose condition fails is billed too but reports nothing;
 * it is counted as one unit (its minimum). On AWS `TOTAL` includes the table's indexes; dynalite
 * reports the table only. What the load test turns into a cost per event.
 */
export interface TableCapacity {
  readUnits: number;
  writeUnits: number;
  /** Writes rejected by their condition (counted as one write unit each). */
  conditionFailures: number;
}

export class CapacityMeter {
  private readonly tables = new Map<string, TableCapacity>();

  record(tableName: string, units: { read?: number; write?: number; conditionFailure?: boolean }): void {
    let table = this.tables.get(tableName);
    if (table === undefined) {
      table = { readUnits: 0, writeUnits: 0, conditionFailures: 0 };
      this.tables.set(tableName, table);
    }
    table.readUnits += units.read ?? 0;
    table.writeUnits += units.write ?? 0;
    if (units.conditionFailure) table.conditionFailures++;
  }

  /** Units per table so far. */
  snapshot(): Record<string, TableCapacity> {
    return Object.fromEntries([...this.tables].map(([table, capacity]) => [table, { ...capacity }]));
  }
}

/** Where the clients of this process report (the factory's default). */
export const processCapacity = new CapacityMeter();

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

interface ConsumedCapacity {
  TableName?: string;
  CapacityUnits?: number;
}

/** Asks every request of `client` for its consumed capacity and records it in `meter`. */
export function meterCapacity(client: DynamoDBClient, meter: CapacityMeter): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string; TableName?: string };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const isWrite = WRITES.has(String(context.commandName));
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
        for (const entry of Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) {
          if (entry.TableName === undefined) continue;
          meter.record(entry.TableName, isWrite ? { write: entry.CapacityUnits ?? 0 } : { read: entry.CapacityUnits ?? 0 });
        }
        return result;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException' && input.TableName !== undefined) meter.record(input.TableName, { write: 1, conditionFailure: true });
        throw error;
      }
    },
    { step: 'initialize', name: 'clickstreamCapacityMeter' },
  );
}
