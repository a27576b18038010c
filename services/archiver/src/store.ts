import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ArchiveWriteError } from './errors';

/** What the archiver needs from object storage; one S3 adapter implements it. */
export interface ArchiveStore {
  /** Every key under `prefix` sorting after `startAfter`, in key order. */
  listKeys(prefix: string, startAfter: string): Promise<string[]>;
  /** Writes (or overwrites) one object. */
  putObject(key: string, body: Uint8Array): Promise<void>;
}

/** Request counts, for the benchmark and the metrics. */
export interface ArchiveStoreStats {
  listRequests: number;
  putRequests: number;
  bytesWritten: number;
}

export class S3ArchiveStore implements ArchiveStore {
  readonly stats: ArchiveStoreStats = { listRequests: 0, putRequests: 0, bytesWritten: 0 };

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async listKeys(prefix: string, startAfter: string): Promise<string[]> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    try {
      do {
        this.stats.listRequests++;
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(continuationToken === undefined ? { StartAfter: startAfter } : { ContinuationToken: continuationToken }),
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
    } catch (error) {
      throw new ArchiveWriteError('list', prefix, error);
    }
    return keys;
  }

  async putObject(key: string, body: Uint8Array): Promise<void> {
    this.stats.putRequests++;
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/gzip' }));
    } catch (error) {
      throw new ArchiveWriteError('put', key, error);
    }
    this.stats.bytesWritten += body.byteLength;
  }
}
