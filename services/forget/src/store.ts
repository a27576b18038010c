import { gunzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { DeleteObjectCommand, GetObjectCommand, ListObjectVersionsCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listArchiveObjects, type ArchiveObject, type ResourceNames } from '@clickstream/shared';
import { historyKeysAbout } from '../../anomaly-detector/src/contract';
import { curatedHourPrefix, generationOfKeys, liveFiles } from '../../compactor/src/contract';
import { sessionKey, sessionsOfUser } from '../../event-processor/src/contract';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

/** What forgetting needs from the archive bucket; one S3 adapter implements it. */
export interface ObjectStore {
  listObjects(prefix: string): Promise<ArchiveObject[]>;
  /** The lines of a gzip JSON Lines object, or undefined when it no longer exists. */
  readLines(key: string): Promise<string[] | undefined>;
  /** Writes gzip JSON Lines (the text already ends each line with `\n`). */
  putLines(key: string, text: string): Promise<void>;
  putJson(key: string, value: unknown): Promise<void>;
  /** Deletes every version of `key` except the current one; returns how many (0 on an unversioned bucket). */
  deleteOlderVersions(key: string): Promise<number>;
  /** The hour's live curated generation (from its symlink manifest), or undefined when it lists no file. */
  liveGeneration(hourMs: number): Promise<string | undefined>;
  /** Deletes every curated object of the hour outside generation `live` (and their older versions); returns how many objects. */
  deleteOtherGenerations(hourMs: number, live: string | undefined): Promise<number>;
}

/** What forgetting needs from the tables: finding and deleting the items that name a user. */
export interface TableStore {
  /** Session ids whose session item carries `userId`. */
  sessionsOfUser(userId: string): Promise<string[]>;
  /** Deletes a session item unless it belongs to another user; true when an item was deleted. */
  deleteSession(sessionId: string, userId: string): Promise<boolean>;
  /** Keys of alert-history items (from `sinceMs`) about the user or their sessions. */
  historyKeys(userId: string, sessionIds: readonly string[], sinceMs: number): Promise<Array<{ pk: string; sk: string }>>;
  /** Deletes an item of the alerts table; true when there was one. */
  deleteAlertItem(key: { pk: string; sk: string }): Promise<boolean>;
}

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    private readonly options: { versioned: boolean },
  ) {}

  listObjects(prefix: string): Promise<ArchiveObject[]> {
    return listArchiveObjects({ s3: this.s3, bucket: this.bucket }, prefix);
  }

  async readLines(key: string): Promise<string[] | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = (await gunzipAsync(await object.Body!.transformToByteArray())).toString('utf8');
      return text.split('\n').filter((line) => line !== '');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async putLines(key: string, text: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: await gzipAsync(Buffer.from(text, 'utf8')), ContentType: 'application/gzip' }));
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value, null, 2), ContentType: 'application/json' }));
  }

  async liveGeneration(hourMs: number): Promise<string | undefined> {
    return generationOfKeys(await liveFiles({ s3: this.s3, bucket: this.bucket }, hourMs));
  }

  async deleteOtherGenerations(hourMs: number, live: string | undefined): Promise<number> {
    const prefix = curatedHourPrefix(hourMs);
    let deleted = 0;
    for (const { key } of await this.listObjects(prefix)) {
      if (live !== undefined && key.startsWith(`${prefix}${live}/`)) continue;
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      await this.deleteOlderVersions(key, true);
      deleted++;
    }
    return deleted;
  }

  /** Versioned buckets keep what an overwrite replaced: those versions hold the user's events and go too. */
  async deleteOlderVersions(key: string, includingLatest = false): Promise<number> {
    if (!this.options.versioned) return 0;
    let deleted = 0;
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      for (const version of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (version.Key !== key || (version.IsLatest && !includingLatest) || version.VersionId === undefined) continue;
        await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: version.VersionId }));
        deleted++;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
    return deleted;
  }
}

export class DynamoDbTableStore implements TableStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: ResourceNames['tables'],
  ) {}

  sessionsOfUser(userId: string): Promise<string[]> {
    return sessionsOfUser({ client: this.client, tables: this.tables }, userId);
  }

  async deleteSession(sessionId: string, userId: string): Promise<boolean> {
    try {
      const result = await this.client.send(
        new DeleteCommand({
          TableName: this.tables.sessionMetrics,
          Key: sessionKey(sessionId),
          // A session whose item names another user (a shared device) is theirs: it stays.
          ConditionExpression: 'attribute_not_exists(user_id) OR user_id = :user',
          ExpressionAttributeValues: { ':user': userId },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return result.Attributes !== undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  historyKeys(userId: string, sessionIds: readonly string[], sinceMs: number): Promise<Array<{ pk: string; sk: string }>> {
    return historyKeysAbout(this.client, this.tables.alerts, userId, sessionIds, { sinceMs });
  }

  async deleteAlertItem(key: { pk: string; sk: string }): Promise<boolean> {
    const result = await this.client.send(new DeleteCommand({ TableName: this.tables.alerts, Key: key, ReturnValues: 'ALL_OLD' }));
    return result.Attributes !== undefined;
  }
}
