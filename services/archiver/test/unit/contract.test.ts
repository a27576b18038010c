import { eventsPrefix, hourPartition, isCovered, listStartAfter, objectKey, parseObjectKey, quarantinePrefix } from '../../src/contract';
import { SHARD, sequenceNumber } from '../support';

describe('archive layout', () => {
  it('partitions by zero-padded UTC hour', () => {
    expect(hourPartition(Date.parse('2026-03-04T05:59:59.999Z'))).toBe('year=2026/month=03/day=04/hour=05');
    expect(hourPartition(Date.parse('2026-03-04T06:00:00+01:00'))).toBe('year=2026/month=03/day=04/hour=05');
  });

  it('puts events under events/ and bad records under quarantine/', () => {
    const at = Date.parse('2026-11-22T14:03:00Z');
    expect(eventsPrefix(at, SHARD)).toBe(`events/year=2026/month=11/day=22/hour=14/${SHARD}_`);
    expect(quarantinePrefix(at, SHARD)).toBe(`quarantine/year=2026/month=11/day=22/hour=14/${SHARD}_`);
  });

  it('names an object by its last and first sequence numbers and reads them back', () => {
    const prefix = eventsPrefix(0, SHARD);
    const key = objectKey(prefix, sequenceNumber(5), sequenceNumber(90));
    expect(key).toBe(`${prefix}056${sequenceNumber(90)}_056${sequenceNumber(5)}.jsonl.gz`);
    expect(parseObjectKey(prefix, key)).toEqual({ first: sequenceNumber(5), last: sequenceNumber(90) });
  });

  it.each([
    ['another shard', `events/year=1970/month=01/day=01/hour=00/shardId-000000000002_0561_0561.jsonl.gz`],
    ['a foreign file', `events/year=1970/month=01/day=01/hour=00/${SHARD}_notes.txt`],
    ['a length that does not match', `events/year=1970/month=01/day=01/hour=00/${SHARD}_0031_0031.jsonl.gz`],
    ['first after last', `events/year=1970/month=01/day=01/hour=00/${SHARD}_0011_0019.jsonl.gz`],
  ])('ignores %s', (_name, key) => {
    expect(parseObjectKey(eventsPrefix(0, SHARD), key)).toBeUndefined();
  });

  it('lists from the batch start: only objects ending at or after it sort after StartAfter', () => {
    const prefix = eventsPrefix(0, SHARD);
    const startAfter = listStartAfter(prefix, sequenceNumber(100));
    expect(objectKey(prefix, sequenceNumber(1), sequenceNumber(99)) > startAfter).toBe(false);
    expect(objectKey(prefix, sequenceNumber(1), sequenceNumber(100)) > startAfter).toBe(true);
    expect(objectKey(prefix, sequenceNumber(150), sequenceNumber(200)) > startAfter).toBe(true);
    // Longer sequence numbers sort after shorter ones whatever their digits.
    expect(objectKey(prefix, '7', '9') > listStartAfter(prefix, '10')).toBe(false);
    expect(objectKey(prefix, '10', '11') > listStartAfter(prefix, '9')).toBe(true);
  });

  it('treats ranges as inclusive at both ends', () => {
    const ranges = [{ first: sequenceNumber(10), last: sequenceNumber(20) }];
    expect([9, 10, 15, 20, 21].map((n) => isCovered(sequenceNumber(n), ranges))).toEqual([false, true, true, true, false]);
  });
});
