// fauxqs's S3 store with every bucket and object written through to a directory, and read back
// from it at start: with --data-dir the local archive survives a restart like the streams and
// tables do. Objects stay in memory as fauxqs keeps them (reads are unchanged); each PUT, DELETE
// and completed multipart upload also writes or removes one file, atomically (write, then rename).
//
// Layout: <dir>/<bucket>/.bucket marks a bucket; an object is <dir>/<bucket>/<key, each path
// segment URI-encoded with "." encoded too> and its metadata beside it as <that name>.meta.json
// (an encoded segment has no ".", so no key can end in ".meta.json").
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// fauxqs exports only its app; its S3 store class sits beside it in the package.
const { S3Store } = await import(pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.resolve('fauxqs'))), 's3', 's3Store.js')).href);

const META_SUFFIX = '.meta.json';
const encodeKey = (key) => key.split('/').map((segment) => (segment === '' ? '%' : encodeURIComponent(segment).replace(/\./g, '%2E'))).join(path.sep);
const decodeKey = (relative) => relative.split(path.sep).map((segment) => (segment === '%' ? '' : decodeURIComponent(segment))).join('/');

function writeAtomically(file, data) {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, file);
}

export class PersistentS3Store extends S3Store {
  constructor(directory) {
    super();
    this.directory = directory;
    mkdirSync(directory, { recursive: true });
    this.load();
  }

  load() {
    for (const bucket of readdirSync(this.directory)) {
      const bucketDir = path.join(this.directory, bucket);
      if (!existsSync(path.join(bucketDir, '.bucket'))) continue;
      super.createBucket(bucket);
      const objects = this.buckets.get(bucket);
      for (const entry of readdirSync(bucketDir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !entry.name.endsWith(META_SUFFIX)) continue;
        const metaFile = path.join(entry.parentPath ?? entry.path, entry.name);
        const bodyFile = metaFile.slice(0, -META_SUFFIX.length);
        if (!existsSync(bodyFile)) continue;
        const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
        const body = readFileSync(bodyFile);
        const key = decodeKey(path.relative(bucketDir, bodyFile));
        objects.set(key, { key, body, contentType: meta.contentType, contentLength: body.length, etag: meta.etag, lastModified: new Date(meta.lastModified), metadata: meta.metadata ?? {} });
      }
    }
  }

  createBucket(name) {
    super.createBucket(name);
    writeAtomically(path.join(this.directory, name, '.bucket'), '');
  }

  deleteBucket(name) {
    super.deleteBucket(name);
    rmSync(path.join(this.directory, name), { recursive: true, force: true });
  }

  putObject(bucket, key, body, contentType, metadata) {
    const object = super.putObject(bucket, key, body, contentType, metadata);
    this.persist(bucket, object);
    return object;
  }

  completeMultipartUpload(uploadId, parts) {
    const bucket = this.multipartUploads.get(uploadId)?.bucket;
    const object = super.completeMultipartUpload(uploadId, parts);
    this.persist(bucket, object);
    return object;
  }

  deleteObject(bucket, key) {
    super.deleteObject(bucket, key);
    const bodyFile = path.join(this.directory, bucket, encodeKey(key));
    rmSync(`${bodyFile}${META_SUFFIX}`, { force: true });
    rmSync(bodyFile, { force: true });
  }

  persist(bucket, object) {
    const bodyFile = path.join(this.directory, bucket, encodeKey(object.key));
    // Body first, metadata last: an object whose metadata file exists is complete.
    writeAtomically(bodyFile, object.body);
    writeAtomically(`${bodyFile}${META_SUFFIX}`, JSON.stringify({ contentType: object.contentType, etag: object.etag, lastModified: object.lastModified.toISOString(), metadata: object.metadata }));
  }
}
