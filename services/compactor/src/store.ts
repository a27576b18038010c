import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ALL_EVENTS_COUNTER, listArchiveObjects, minuteWindow, readCounterWindows, type ArchiveObject } from '@clickstream/shared';
import { curatedHourPrefix } from './contract';
import { LakeStoreError } from './errors';

const gunzipAsync = promisify(gunzip);

/** What the compactor needs from S3 and the counters table; one AWS adapter implements it. */
export interface LakeStore {
  readonly bucket: string;
  /** Every object under `prefix` with its size, in key order. */
  listObjects(prefix: string): Promise<ArchiveObject[]>;
  /** The generations (folder names) an hour has under `curated/events/…/hour=HH/`. */
  listGenerations(hourMs: number): Promise<string[]>;
  /** The lines of one gzip JSON Lines object. */
  readLines(key: string): Promise<string[]>;
  /** A text object, or undefined when it does not exist. */
  getText(key: string): Promise<string | undefined>;
  putObject(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
  /** Deletes every object under `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** `events#all` summed over the hour's 60 minutes in the counters table. */
  acceptedEvents(hourMs: number): Promise<number>;
}

export interface LakeStoreStats {
  listRequests: number;
  getRequests: number;
  putRequests: number;
  deleteRequests: number;
  bytesRead: number;
  bytesWritten: number;
}

export class AwsLakeStore implements LakeStore {
  readonly stats: LakeStoreStats = { listRequests: 0, getRequests: 0, putRequests: 0, deleteRequests: 0, bytesRead: 0, bytesWritten: 0 };

  constructor(
    private readonly s3: S3Client,
    private readonly dynamodb: DynamoDBDocumentClient,
    readonly bucket: string,
    private readonly countersTable: string,
  ) {}

  async listObjects(prefix: string): Promise<ArchiveObject[]> {
    this.stats.listRequests++;
    try {
      return await listArchiveObjects({ s3: this.s3, bucket: this.bucket }, prefix);
    } catch (error) {
      throw new LakeStoreError('list', prefix, error);
    }
  }

  async listGenerations(hourMs: number): Promise<string[]> {
    const prefix = curatedHourPrefix(hourMs);
    const generations: string[] = [];
    let token: string | undefined;
    try {
      do {
        this.stats.listRequests++;
        const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
        for (const common of page.CommonPrefixes ?? []) if (common.Prefix) generations.push(common.Prefix.slice(prefix.length, -1));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw new LakeStoreError('list', prefix, error);
    }
    return generations;
  }

  async readLines(key: string): Promise<string[]> {
    this.stats.getRequests++;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const compressed = await object.Body!.transformToByteArray();
      this.stats.bytesRead += compressed.byteLength;
      return (await gunzipAsync(compressed)).toString('utf8').split('\n').filter((line) => line !== '');
    } catch (error) {
      throw new LakeStoreError('get', key, error);
    }
  }

  async getText(key: string): Promise<string | undefined> {
    this.stats.getRequests++;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await object.Body!.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw new LakeStoreError('get', key, error);
    }
  }

  async putObject(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    this.stats.putRequests++;
    // The length is given: the SDK cannot tell an empty body's (an hour whose events were all forgotten) and warns.
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: length, ContentType: contentType }));
    } catch (error) {
      throw new LakeStoreError('put', key, error);
    }
    this.stats.bytesWritten += length;
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = (await this.listObjects(prefix)).map((object) => object.key);
    try {
      for (let start = 0; start < keys.length; start += 1000) {
        this.stats.deleteRequests++;
        const result = await this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(start, start + 1000).map((Key) => ({ Key })), Quiet: true } }),
        );
        if ((result.Errors ?? []).length > 0) throw new Error(`${result.Errors!.length} objects not deleted: ${result.Errors![0]!.Code} ${result.Errors![0]!.Message}`);
      }
    } catch (error) {
      throw new LakeStoreError('delete', prefix, error);
    }
    return keys.length;
  }

  async acceptedEvents(hourMs: number): Promise<number> {
    const windows = await readCounterWindows(this.dynamodb, this.countersTable, [ALL_EVENTS_COUNTER], minuteWindow(hourMs), minuteWindow(hourMs + 59 * 60_000));
    return [...(windows.get(ALL_EVENTS_COUNTER) ?? new Map<string, number>()).values()].reduce((sum, count) => sum + count, 0);
  }
}
