import { builtFrom, generationName, parseGenerationName, sourceDigest } from '../../src/contract';
import { closedHours, decideHour, eventIdOf, generationsToDelete, HOUR_MS, partitionCount, partitionOf } from '../../src/plan';

const at = (iso: string) => Date.parse(iso);
const minutes = (n: number) => n * 60_000;

describe('closedHours', () => {
  it('lists the hours of the lookback window that ended at least the grace period ago, oldest first', () => {
    expect(closedHours(at('2026-11-22T14:05:00Z'), 3, minutes(10)).map((ms) => new Date(ms).toISOString())).toEqual(['2026-11-22T11:00:00.000Z', '2026-11-22T12:00:00.000Z']);
    expect(closedHours(at('2026-11-22T14:10:00Z'), 3, minutes(10)).map((ms) => new Date(ms).toISOString())).toEqual(['2026-11-22T11:00:00.000Z', '2026-11-22T12:00:00.000Z', '2026-11-22T13:00:00.000Z']);
  });
});

describe('decideHour', () => {
  const objects = [
    { key: 'events/year=2026/month=11/day=22/hour=13/shardId-000000000000_056a_056b.jsonl.gz', size: 900 },
    { key: 'events/year=2026/month=11/day=22/hour=13/shardId-000000000001_056c_056d.jsonl.gz', size: 700 },
  ];
  const generation = generationName(at('2026-11-22T14:10:00.123Z'), sourceDigest(objects));

  it.each([
    ['no raw objects', [], undefined, { action: 'skip', reason: 'no raw objects' }],
    ['never compacted', objects, undefined, { action: 'compact', reason: 'never compacted' }],
    ['same objects, in any order', [...objects].reverse(), generation, { action: 'skip', reason: 'up to date' }],
    ['a late object', [...objects, { key: 'events/year=2026/month=11/day=22/hour=13/shardId-000000000000_056e_056f.jsonl.gz', size: 80 }], generation, { action: 'compact', reason: 'sources changed' }],
    ['an object that changed size', [{ ...objects[0]!, size: 901 }, objects[1]!], generation, { action: 'compact', reason: 'sources changed' }],
  ] as const)('%s', (_, sources, live, expected) => {
    expect(decideHour(sources, live)).toEqual(expected);
  });

  it('names a generation after its time and sources, and reads it back', () => {
    expect(generation).toMatch(/^20261122T141000123Z-[0-9a-f]{16}$/);
    expect(parseGenerationName(generation)).toEqual({ name: generation, compactedAtMs: at('2026-11-22T14:10:00.123Z'), digest: generation.slice(-16) });
    expect(builtFrom(generation, objects)).toBe(true);
    expect(parseGenerationName('part-00000.parquet')).toBeUndefined();
  });
});

describe('partitions', () => {
  it('grows with the hour so one partition holds about partitionRows lines', () => {
    expect(partitionCount(0, 200_000)).toBe(1);
    expect(partitionCount(7_999_999, 200_000)).toBe(1);
    expect(partitionCount(216_000_000, 200_000)).toBe(27);
  });

  it('sends every copy of an event id to the same partition and spreads ids evenly', () => {
    const counts = new Array<number>(8).fill(0);
    for (let n = 0; n < 80_000; n++) counts[partitionOf(`4962a9ed-d7aa-4d1a-ab2c-${n.toString(16).padStart(12, '0')}`, 8)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(9_000);
    expect(partitionOf('evt-1', 8)).toBe(partitionOf('evt-1', 8));
    expect(partitionOf('evt-1', 1)).toBe(0);
  });

  it('reads the event id from the archiver line prefix, and from any other JSON line', () => {
    expect(eventIdOf('{"schema_version":1,"event_id":"abc-1","event_type":"click"}')).toBe('abc-1');
    expect(eventIdOf('{"event_type":"click","event_id":"with \\"quote\\""}')).toBe('with "quote"');
    expect(() => eventIdOf('{not json')).toThrow(SyntaxError);
  });
});

describe('generationsToDelete', () => {
  const gen = (iso: string) => generationName(at(iso), 'a'.repeat(64));
  const old = gen('2026-11-22T14:10:00.000Z');
  const live = gen('2026-11-22T15:10:00.000Z');
  const orphan = gen('2026-11-22T15:20:00.000Z');
  const all = [old, live, orphan, 'not-a-generation'];

  it('keeps the live one, and superseded ones until the live one is retireAfter old', () => {
    expect(generationsToDelete(all, live, at('2026-11-22T15:39:59.999Z'), minutes(30))).toEqual([]);
    expect(generationsToDelete(all, live, at('2026-11-22T15:40:00.000Z'), minutes(30))).toEqual([old]);
  });

  it('removes a newer generation that was never switched to once it is retireAfter old itself', () => {
    expect(generationsToDelete(all, live, at('2026-11-22T15:50:00.000Z'), minutes(30))).toEqual([old, orphan]);
  });
});
