import { WrittenItems } from '../../src/dynamo/written-items';

describe('WrittenItems (what a writer last wrote, bounded by bytes)', () => {
  const sized = () => new WrittenItems<{ bytes: number; version: number }>(100, (item) => item.bytes);

  it('gives back the copy remembered last, and nothing once forgotten', () => {
    const items = sized();
    items.remember('a', { bytes: 10, version: 1 });
    items.remember('a', { bytes: 10, version: 2 });
    expect(items.get('a')).toEqual({ bytes: 10, version: 2 });
    items.forget('a');
    expect(items.get('a')).toBeUndefined();
    expect(items.size).toBe(0);
  });

  it('lets the least recently used go first when the budget is exceeded', () => {
    const items = sized();
    for (const id of ['a', 'b', 'c']) items.remember(id, { bytes: 40, version: 1 });
    // 120 bytes asked of 100: the oldest, a, went.
    expect(['a', 'b', 'c'].map((id) => items.get(id) !== undefined)).toEqual([false, true, true]);
    // b was used before c, so c is now the oldest.
    items.get('b');
    items.remember('d', { bytes: 40, version: 1 });
    expect(['b', 'c', 'd'].map((id) => items.get(id) !== undefined)).toEqual([true, false, true]);
  });

  it('does not hold an item larger than the whole budget, and counts a replaced copy once', () => {
    const items = sized();
    items.remember('small', { bytes: 60, version: 1 });
    items.remember('huge', { bytes: 101, version: 1 });
    expect(items.get('huge')).toBeUndefined();
    // Rewriting the same id many times does not fill the budget.
    for (let version = 2; version < 10; version++) items.remember('small', { bytes: 60, version });
    items.remember('other', { bytes: 40, version: 1 });
    expect(items.get('small')).toEqual({ bytes: 60, version: 9 });
    expect(items.get('other')).toBeDefined();
  });
});

describe('WrittenItems trust (copies given out only while few turn out stale)', () => {
  it('stops giving copies out when more than 5% turn out stale, keeps them, and gives them out again once they are current', () => {
    const items = new WrittenItems<{ version: number }>(1_000, () => 1);
    items.remember('a', { version: 3 });
    // Early observations alone do not distrust.
    for (let i = 0; i < 5; i++) items.observe(true);
    expect(items.get('a')).toEqual({ version: 3 });
    for (let i = 0; i < 20; i++) items.observe(i % 2 === 0);
    expect(items.trusted).toBe(false);
    expect(items.get('a')).toBeUndefined();
    expect(items.peek('a')).toEqual({ version: 3 });
    // Reads that find the held copies current bring trust back.
    let reads = 0;
    while (!items.trusted && reads < 10_000) {
      items.observe(false);
      reads++;
    }
    expect(items.trusted).toBe(true);
    expect(reads).toBeGreaterThan(100);
    expect(reads).toBeLessThan(1_000);
    expect(items.get('a')).toEqual({ version: 3 });
  });

  it('stays trusted at a low stale share', () => {
    const items = new WrittenItems<{ version: number }>(1_000, () => 1);
    for (let i = 0; i < 1_000; i++) items.observe(i % 25 === 0);
    expect(items.trusted).toBe(true);
  });
});

describe('WrittenItems lending (what the stores do around a read and a write)', () => {
  it('lends held copies, counts only lent copies by their write and held copies by what was read', () => {
    const items = new WrittenItems<{ version: number }>(1_000, () => 1);
    items.settle('a', { written: { version: 2 } });
    items.settle('b', { written: { version: 5 } });
    const { lent, toRead } = items.lend(['a', 'new']);
    expect([...lent]).toEqual([['a', { version: 2 }]]);
    expect(toRead).toEqual(['new']);
    // A conflict of a lent copy forgets it; twenty of them distrust the copies.
    for (let i = 0; i < 20; i++) {
      items.settle('x', { written: { version: 1 } });
      items.lend(['x']);
      items.settle('x', { conflict: true });
    }
    expect(items.trusted).toBe(false);
    expect(items.lend(['b']).toRead).toEqual(['b']);
    // While distrusted, a read that finds the held version counts as current; a failed read counts nothing.
    const before = items.trusted;
    for (let i = 0; i < 500; i++) items.compare(['b'], new Map([['b', { version: 5 }]]), new Set(['b']));
    expect(items.trusted).toBe(before);
    for (let i = 0; i < 500; i++) items.compare(['b'], new Map([['b', { version: 5 }]]), new Set());
    expect(items.trusted).toBe(true);
    expect(items.lend(['b']).lent.get('b')).toEqual({ version: 5 });
  });
});
