import { lowestSequenceNumber, mapWithConcurrency, type BatchOutcome, type DecidedBatch, type Observe, type RejectionReason } from '@clickstream/shared';
import { listStartAfter, objectKey, overlapping, parseObjectKey, type SequenceRange } from './contract';
import { encodeLines, planBatch, sequenceBounds, unarchivedLines, type ArchiveGroup } from './plan';
import type { ArchiveStore } from './store';

export interface ArchiverOptions {
  /** Groups written in parallel; a batch rarely has more than two or three. */
  writeConcurrency: number;
}

export interface ArchiveOutcome extends BatchOutcome {
  accepted: number;
  rejected: number;
  /** Events written to the archive by this invocation. */
  archived: number;
  /** Bad records written to the quarantine by this invocation, by reason. */
  quarantined: Map<RejectionReason, number>;
  /** Records skipped because an earlier delivery already wrote them. */
  alreadyArchived: number;
  objectsWritten: number;
  bytesWritten: number;
  keys: string[];
}

/**
 * Archives one shard batch: every valid event into its event-hour object, every bad record into
 * its reason's quarantine object, each exactly once across deliveries.
 *
 * Per group (shard × event hour, or shard × arrival hour for the quarantine), one LIST finds the objects earlier
 * deliveries wrote whose sequence range reaches into this batch; records inside those ranges are
 * already archived and skipped, the rest go into one new object named by its own first and last
 * sequence numbers. A group whose LIST or PUT fails turns into a partial batch failure at its
 * lowest unwritten record; objects already written by this attempt make the redelivery skip them.
 */
export async function archiveBatch(batch: DecidedBatch, store: ArchiveStore, options: ArchiverOptions, observe: Observe): Promise<ArchiveOutcome> {
  const { logger, metrics } = observe;
  const groups = planBatch(batch);
  const outcome: ArchiveOutcome = {
    accepted: batch.accepted.length,
    rejected: batch.rejected.length,
    archived: 0,
    quarantined: new Map(),
    alreadyArchived: 0,
    objectsWritten: 0,
    bytesWritten: 0,
    keys: [],
  };
  const failed: string[] = [];
  await mapWithConcurrency(groups, options.writeConcurrency, async (group) => {
    let pending = group.lines;
    try {
      const archived = await archivedRanges(store, group);
      pending = unarchivedLines(group.lines, archived);
      outcome.alreadyArchived += group.lines.length - pending.length;
      if (pending.length === 0) return;
      const { first, last } = sequenceBounds(pending);
      const key = objectKey(group.prefix, first, last);
      const body = await encodeLines(pending);
      await store.putObject(key, body);
      outcome.objectsWritten++;
      outcome.bytesWritten += body.byteLength;
      outcome.keys.push(key);
      if (group.kind === 'events') outcome.archived += pending.length;
      else for (const { reason } of pending) outcome.quarantined.set(reason!, (outcome.quarantined.get(reason!) ?? 0) + 1);
    } catch (error) {
      logger.error({ err: error, prefix: group.prefix, records: pending.length }, 'archive write failed; records will be redelivered');
      failed.push(pending[0]!.sequenceNumber);
    }
  });

  for (const [reason, count] of outcome.quarantined) metrics.add('QuarantinedRecords', count, 'Count', { Reason: reason });
  metrics.add('ArchivedEvents', outcome.archived);
  metrics.add('ArchiveObjectsWritten', outcome.objectsWritten);
  metrics.add('ArchiveBytesWritten', outcome.bytesWritten, 'Bytes');
  metrics.add('AlreadyArchivedRecords', outcome.alreadyArchived);
  metrics.add('ArchiveWriteFailures', failed.length);
  const failedSequenceNumber = lowestSequenceNumber(failed);
  if (failedSequenceNumber !== undefined) outcome.failedSequenceNumber = failedSequenceNumber;
  return outcome;
}

/** Ranges of earlier objects of this group that reach into the group's sequence numbers. */
async function archivedRanges(store: ArchiveStore, group: ArchiveGroup): Promise<SequenceRange[]> {
  const { first, last } = sequenceBounds(group.lines);
  const keys = await store.listKeys(group.prefix, listStartAfter(group.prefix, first));
  const ranges = keys.map((key) => parseObjectKey(group.prefix, key)).filter((range): range is SequenceRange => range !== undefined);
  return overlapping(ranges, first, last);
}
