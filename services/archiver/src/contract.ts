/**
 * The archiver's contract with every reader of the bucket: the archive's layout, object keys and
 * line schemas. They are defined in `shared/src/contract/archive.ts` because the compactor reads
 * the same objects and services never import each other's code; this module is the archiver's
 * public face for them, unchanged for its readers (`local/`, the load test).
 */
export {
  ARCHIVE_OBJECT_SUFFIX as OBJECT_SUFFIX,
  ARCHIVE_SCHEMA_VERSION as SCHEMA_VERSION,
  eventFromArchiveLine,
  eventsPrefix,
  hourPartition,
  hourPrefixes,
  isCovered,
  listArchiveKeys,
  listArchiveObjects,
  listStartAfter,
  objectKey,
  overlapping,
  parseObjectKey,
  quarantinePrefix,
  readArchiveLines,
  type ArchiveLine,
  type ArchiveObject,
  type ArchiveReader,
  type QuarantineLine,
  type SequenceRange,
} from '@clickstream/shared';
