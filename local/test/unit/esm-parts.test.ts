import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import { BatchBuffer, MAX_BATCH_BYTES } from '../../esm/batch-buffer';
import { parseBatchResponse } from '../../esm/invoker';
import { shardLagMs } from '../../esm/lag';
import { mappingUuid, onFailureObjectKey, onFailureRecord } from '../../esm/on-failure';

const NOW = Date.parse('2026-12-01T10:00:00.000Z');

function record(sequenceNumber: string, options: { arrivalMs?: number; bytes?: number } = {}): KinesisRecord {
  return {
    SequenceNumber: sequenceNumber,
    PartitionKey: 'pk',
    Data: new Uint8Array(options.bytes ?? 10),
    ApproximateArrivalTimestamp: new Date(options.arrivalMs ?? NOW - 1_000),
  };
}

describe('iterator age of a shard (the lag the status line shows)', () => {
  it.each([
    ['0 when the last read came back empty and nothing is pending', { caughtUp: true, oldestPendingArrivalMs: NOW - 60_000, reportedMillisBehind: 0, shardEnded: false }, 0],
    ['the age of the oldest pending record when Kinesis reports 0 (kinesalite)', { caughtUp: false, oldestPendingArrivalMs: NOW - 45_000, reportedMillisBehind: 0, shardEnded: false }, 45_000],
    ['Kinesis\' MillisBehindLatest when it is larger', { caughtUp: false, oldestPendingArrivalMs: NOW - 2_000, reportedMillisBehind: 90_000, shardEnded: false }, 90_000],
    ['an ended shard\'s MillisBehindLatest (time since it closed) never counts', { caughtUp: false, oldestPendingArrivalMs: NOW - 3_000, reportedMillisBehind: 600_000, shardEnded: true }, 3_000],
    ['nothing read yet: only what Kinesis reports', { caughtUp: false, oldestPendingArrivalMs: undefined, reportedMillisBehind: 0, shardEnded: false }, 0],
  ])('%s', (_rule, input, expected) => {
    expect(shardLagMs(input, NOW)).toBe(expected);
  });
});

describe('batch buffer', () => {
  const settings = { batchSize: 3, maximumBatchingWindowInSeconds: 2 };

  it.each([
    ['empty: nothing is due', [], false, Infinity],
    ['BatchSize records: due now', [record('1'), record('2'), record('3')], false, 0],
    ['fewer records: due when the batching window has passed', [record('1')], false, 2_000],
    ['fewer records of an ended shard: due now, nothing more will come', [record('1')], true, 0],
    ['6 MB: due now', [record('1', { bytes: MAX_BATCH_BYTES })], false, 0],
  ])('%s', (_rule, records, ended, dueInMs) => {
    const buffer = new BatchBuffer();
    buffer.add(records, NOW);
    expect(buffer.dueInMs(settings, NOW, ended)).toBe(dueInMs);
  });

  it('takes at most BatchSize records and never more than 6 MB (except a single larger record)', () => {
    const buffer = new BatchBuffer();
    buffer.add([record('1', { bytes: 4 * 1024 * 1024 }), record('2', { bytes: 4 * 1024 * 1024 }), record('3'), record('4'), record('5')], NOW);
    expect(buffer.take(settings, NOW).map((r) => r.SequenceNumber)).toEqual(['1']);
    expect(buffer.take(settings, NOW).map((r) => r.SequenceNumber)).toEqual(['2', '3', '4']);
    expect(buffer.take(settings, NOW).map((r) => r.SequenceNumber)).toEqual(['5']);
    expect(buffer.size).toBe(0);
  });
});

describe('ReportBatchItemFailures responses', () => {
  const batch = [record('9'), record('10'), record('11')];
  it.each([
    ['undefined: success', undefined, { kind: 'success' }],
    ['null: success', null, { kind: 'success' }],
    ['empty object: success', {}, { kind: 'success' }],
    ['null list: success', { batchItemFailures: null }, { kind: 'success' }],
    ['empty list: success', { batchItemFailures: [] }, { kind: 'success' }],
    ['the lowest sequence number, compared as a number', { batchItemFailures: [{ itemIdentifier: '11' }, { itemIdentifier: '10' }] }, { kind: 'partial', lowest: '10' }],
    ['9 is lower than 10', { batchItemFailures: [{ itemIdentifier: '10' }, { itemIdentifier: '9' }] }, { kind: 'partial', lowest: '9' }],
  ])('%s', (_rule, response, expected) => {
    expect(parseBatchResponse(response, batch)).toEqual(expected);
  });

  it.each([
    ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null identifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a bad key name', { batchItemFailures: [{ itemIdentity: '10' }] }],
    ['an identifier not in the batch', { batchItemFailures: [{ itemIdentifier: '12' }] }],
    ['a list that is not a list', { batchItemFailures: '10' }],
  ])('%s fails the whole batch', (_rule, response) => {
    expect(parseBatchResponse(response, batch).kind).toBe('error');
  });
});

describe('on-failure records and S3 objects', () => {
  const common = { functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s', shardId: 'shardId-000000000001', nowMs: NOW };
  const records = [record('100', { arrivalMs: NOW - 5_000 }), record('101', { arrivalMs: NOW - 4_000 })];

  it('describes the discarded records as Lambda does, with the response context after invocations', () => {
    expect(onFailureRecord({ ...common, records, condition: 'RetryAttemptsExhausted', invokeCount: 4, functionError: 'Unhandled' })).toEqual({
      requestContext: { requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), functionArn: common.functionArn, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2026-12-01T10:00:00.000Z',
      KinesisBatchInfo: {
        shardId: common.shardId,
        startSequenceNumber: '100',
        endSequenceNumber: '101',
        approximateArrivalOfFirstRecord: '2026-12-01T09:59:55.000Z',
        approximateArrivalOfLastRecord: '2026-12-01T09:59:56.000Z',
        batchSize: 2,
        streamArn: common.streamArn,
      },
    });
  });

  it('leaves functionError out after partial batch responses, and responseContext out for expired records', () => {
    expect(onFailureRecord({ ...common, records, condition: 'RetryAttemptsExhausted', invokeCount: 2 }).responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect(onFailureRecord({ ...common, records, condition: 'RecordAgeExceeded', invokeCount: 0 }).responseContext).toBeUndefined();
  });

  it('names objects aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>', () => {
    const key = onFailureObjectKey('1f2e3d4c-0000-5000-8000-000000000000', 'shardId-000000000001', new Date('2026-03-04T05:06:07.890Z'), 'abc');
    expect(key).toBe('aws/lambda/1f2e3d4c-0000-5000-8000-000000000000/shardId-000000000001/2026/03/04/2026-03-04T05.06.07-abc');
  });

  it('gives each mapping a stable UUID', () => {
    expect(mappingUuid('clickstream-analytics-dev-archiver')).toBe(mappingUuid('clickstream-analytics-dev-archiver'));
    expect(mappingUuid('clickstream-analytics-dev-archiver')).not.toBe(mappingUuid('clickstream-analytics-dev-event-processor'));
    expect(mappingUuid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
