/** Helpers for tests against a real S3 emulator (fauxqs): read every object back, run zcat. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { ArchiveStore } from '../src/store';

const run = promisify(execFile);

export async function listAllKeys(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const object of page.Contents ?? []) keys.push(object.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function readAllObjects(client: S3Client, bucket: string): Promise<Map<string, Uint8Array>> {
  const objects = new Map<string, Uint8Array>();
  for (const key of await listAllKeys(client, bucket)) {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    objects.set(key, await object.Body!.transformToByteArray());
  }
  return objects;
}

/** Decompresses with the system `zcat`, as a user would. */
export async function zcat(body: Uint8Array): Promise<string> {
  const child = execFile('zcat', { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`zcat exited with ${code}`))));
  });
  child.stdin!.end(Buffer.from(body));
  return output;
}

/** Wraps a store so chosen PUTs fail, as a throttled or crashed invocation would leave S3. */
export class FlakyStore implements ArchiveStore {
  failPut: (key: string) => boolean = () => false;

  constructor(private readonly inner: ArchiveStore) {}

  listKeys(prefix: string, startAfter: string): Promise<string[]> {
    return this.inner.listKeys(prefix, startAfter);
  }

  async putObject(key: string, body: Uint8Array): Promise<void> {
    if (this.failPut(key)) throw new Error(`injected failure writing ${key}`);
    await this.inner.putObject(key, body);
  }
}

export { run };
