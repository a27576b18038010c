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
