import { createS3Client } from '@clickstream/shared';
import { hourPrefixes, listArchiveKeys, readArchiveLines, type ArchiveLine } from '../../../services/archiver/src/contract';
import { manifestClientConfig, type LocalManifest } from '../../manifest';

/** The archive lines of one session in a running local stack, from the event hours since `sinceMs` (a minute either side). */
export async function archivedLinesOf(manifest: LocalManifest, sessionId: string, sinceMs: number): Promise<ArchiveLine[]> {
  const archive = { s3: createS3Client(manifestClientConfig(manifest)), bucket: manifest.bucket };
  const keys = (await Promise.all(hourPrefixes('events', sinceMs - 60_000, Date.now() + 60_000).map((prefix) => listArchiveKeys(archive, prefix)))).flat();
  const lines: ArchiveLine[] = [];
  await readArchiveLines<ArchiveLine>(archive, keys, (line) => {
    if (line.session_id === sessionId) lines.push(line);
  });
  return lines;
}
