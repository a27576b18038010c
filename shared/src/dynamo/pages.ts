import { QueryCommand, ScanCommand, type DynamoDBDocumentClient, type QueryCommandInput, type QueryCommandOutput, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ReadStats } from './batch-get';

/** An item as the document client returns it (attribute values unmarshalled). */
type Item = NonNullable<QueryCommandOutput['Items']>[number];

/**
 * Every item a Query returns, page after page (each page's `LastEvaluatedKey` is the next
 * request's `ExclusiveStartKey`), as they arrive. Stop iterating to stop reading.
 * `stats.readRequests` counts the requests sent.
 */
export function queryItems(client: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>, stats?: ReadStats): AsyncGenerator<Item> {
  return pages((startKey) => client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })), stats);
}

/** Every item a Scan returns (filters applied), page after page, like `queryItems`. */
export function scanItems(client: DynamoDBDocumentClient, input: Omit<ScanCommandInput, 'ExclusiveStartKey'>, stats?: ReadStats): AsyncGenerator<Item> {
  return pages((startKey) => client.send(new ScanCommand({ ...input, ExclusiveStartKey: startKey })), stats);
}

/** The one pagination loop of the project: requests pages from `startKey` until there is none. */
async function* pages(request: (startKey: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>, stats?: ReadStats): AsyncGenerator<Item> {
  let startKey: Item | undefined;
  do {
    if (stats) stats.readRequests++;
    const page = await request(startKey);
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}
