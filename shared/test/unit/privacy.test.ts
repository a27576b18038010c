import {
  addressKey,
  ADDRESS_PSEUDONYM,
  applyPrivacy,
  ConfigError,
  decideBatch,
  DEFAULT_PRIVACY_POLICY,
  hmacAddress,
  isOptedOut,
  loadConfig,
  privacySource,
  pseudonymizeAddress,
  sanitizeRecordBytes,
  scrubAddresses,
  stripUrl,
  type PrivacyPolicy,
  type StreamRecord,
} from '@clickstream/shared';

const KEY_A = addressKey('first-secret-of-at-least-16-bytes');
const KEY_B = addressKey('second-secret-after-the-rotation');
const hmac = (key = KEY_A): PrivacyPolicy => ({ addressMode: 'hmac', addressKey: key, queryAllowList: ['utm_*'] });
const NOW = Date.parse('2026-11-22T14:30:00.000Z');

describe('client addresses', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['203.0.113.77:51234', '203.0.113.0'],
    ['::ffff:203.0.113.77', '203.0.113.0'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::'],
    ['[2001:db8:abcd:12::1]:443', '2001:db8:abcd::'],
    ['fe80::1%eth0', 'fe80:0:0::'],
    ['203.0.113.0', '203.0.113.0'],
  ])('truncates %s to %s by default, idempotently', (address, network) => {
    expect(pseudonymizeAddress(address, DEFAULT_PRIVACY_POLICY)).toBe(network);
    expect(pseudonymizeAddress(network, DEFAULT_PRIVACY_POLICY)).toBe(network);
  });

  it('drops a value that is not an address rather than storing it unread', () => {
    expect(pseudonymizeAddress('somebody.example.com', DEFAULT_PRIVACY_POLICY)).toBeUndefined();
    expect(pseudonymizeAddress('203.0.113.777', hmac())).toBeUndefined();
  });

  it('HMAC: the same address gives the same pseudonym under one key, in any spelling; another address another one', () => {
    const pseudonym = pseudonymizeAddress('2001:db8::1', hmac());
    expect(pseudonym).toMatch(ADDRESS_PSEUDONYM);
    expect(pseudonymizeAddress('2001:0DB8:0:0::0001', hmac())).toBe(pseudonym);
    expect(pseudonymizeAddress('[2001:db8::1]:8080', hmac())).toBe(pseudonym);
    expect(pseudonymizeAddress('2001:db8::2', hmac())).not.toBe(pseudonym);
    expect(hmacAddress('::ffff:198.51.100.7', KEY_A)).toBe(hmacAddress('198.51.100.7', KEY_A));
    expect(pseudonymizeAddress(pseudonym!, hmac())).toBe(pseudonym);
  });

  it('HMAC: rotating the key changes every pseudonym and its key id', () => {
    const before = pseudonymizeAddress('198.51.100.7', hmac(KEY_A))!;
    const after = pseudonymizeAddress('198.51.100.7', hmac(KEY_B))!;
    expect(after).not.toBe(before);
    expect(before.split(':')[1]).toBe(KEY_A.id);
    expect(after.split(':')[1]).toBe(KEY_B.id);
    expect(KEY_A.id).not.toBe(KEY_B.id);
    expect(before).not.toContain('198.51.100');
  });

  it('keeps the full address only in the explicit keep mode', () => {
    expect(pseudonymizeAddress('198.51.100.7', { ...DEFAULT_PRIVACY_POLICY, addressMode: 'keep' })).toBe('198.51.100.7');
  });

  it('refuses a secret shorter than 16 bytes', () => {
    expect(() => addressKey('short')).toThrow(/at least 16/);
  });
});

describe('query strings', () => {
  it.each([
    ['https://shop.example.com/p/1?utm_source=mail&email=a%40b.example&utm_medium=news#token=x', 'https://shop.example.com/p/1?utm_source=mail&utm_medium=news'],
    ['https://shop.example.com/p/1?session=abc&token=1', 'https://shop.example.com/p/1'],
    ['/search?q=boots&UTM_Campaign=winter', '/search?UTM_Campaign=winter'],
    ['https://shop.example.com/p/1', 'https://shop.example.com/p/1'],
    ['https://shop.example.com/#/cart', 'https://shop.example.com/'],
  ])('%s is stored as %s', (url, stored) => {
    expect(stripUrl(url, ['utm_*'])).toBe(stored);
    expect(stripUrl(stored, ['utm_*'])).toBe(stored);
  });

  it('an allow-list of exact names keeps just those', () => {
    expect(stripUrl('/p?ref=a&gclid=b&q=c', ['ref', 'q'])).toBe('/p?ref=a&q=c');
  });
});

describe('applyPrivacy on an event', () => {
  it('pseudonymizes the address and reduces URLs in the canonical fields and anywhere in properties', () => {
    const event: Record<string, unknown> = {
      ip_address: '198.51.100.7',
      page_url: 'https://shop.example.com/p/1?email=a%40b.example&utm_source=x',
      referrer: 'https://search.example/?q=my+name',
      properties: { segment: { context: { ip: '2001:db8:abcd:12::1' }, page: { search: '?email=x', url: 'https://shop.example.com/p/1?email=x' } }, list: ['198.51.100.8'] },
    };
    expect(applyPrivacy(event, DEFAULT_PRIVACY_POLICY)).toBe(true);
    expect(event).toEqual({
      ip_address: '198.51.100.0',
      page_url: 'https://shop.example.com/p/1?utm_source=x',
      referrer: 'https://search.example/',
      properties: { segment: { context: { ip: '2001:db8:abcd::' }, page: { search: '', url: 'https://shop.example.com/p/1' } }, list: ['198.51.100.0'] },
    });
    expect(applyPrivacy(event, DEFAULT_PRIVACY_POLICY)).toBe(false);
  });

  it('camelCase SDK events too', () => {
    const event: Record<string, unknown> = { ipAddress: '198.51.100.7', pageUrl: '/p?token=1' };
    applyPrivacy(event, DEFAULT_PRIVACY_POLICY);
    expect(event).toEqual({ ipAddress: '198.51.100.0', pageUrl: '/p' });
  });
});

describe('raw bytes of rejected records', () => {
  it('pseudonymizes addresses anywhere in text that is not JSON, leaving other bytes alone', () => {
    const bytes = Buffer.concat([Buffer.from('garbage 198.51.100.7 and [2001:db8:abcd:12::1] at 12:30:45 v1.2.3 '), Buffer.from([0xff, 0xfe])]);
    const scrubbed = Buffer.from(scrubAddresses(bytes, DEFAULT_PRIVACY_POLICY));
    expect(scrubbed.toString('latin1')).toBe(`garbage 198.51.100.0 and [2001:db8:abcd::] at 12:30:45 v1.2.3 ${Buffer.from([0xff, 0xfe]).toString('latin1')}`);
  });

  it('applies the policy to a JSON object that failed validation', () => {
    const bytes = Buffer.from(JSON.stringify({ event_type: 'page_view', ip_address: '198.51.100.7', page_url: '/p?email=x', other: 'seen from 198.51.100.9' }));
    expect(JSON.parse(Buffer.from(sanitizeRecordBytes(bytes, DEFAULT_PRIVACY_POLICY)).toString())).toEqual({ event_type: 'page_view', ip_address: '198.51.100.0', page_url: '/p', other: 'seen from 198.51.100.0' });
  });
});

describe('opt-out', () => {
  it.each([{ opt_out: true }, { optOut: true }, { opt_out: '1' }, { properties: { opt_out: true } }])('%j is not collected', (fields) => {
    expect(isOptedOut(fields)).toBe(true);
  });

  it.each([{}, { opt_out: false }, { opt_out: 'no' }, { properties: { nested: { opt_out: true } } }])('%j is collected', (fields) => {
    expect(isOptedOut(fields)).toBe(false);
  });
});

describe('decideBatch with the privacy policy', () => {
  const record = (sequence: number, body: unknown): StreamRecord => ({
    shardId: 'shardId-000000000000',
    sequenceNumber: String(49_000 + sequence),
    partitionKey: 's-1',
    arrivalMs: NOW,
    data: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const limits = { maxFutureSkewMs: 300_000, maxEventAgeMs: 86_400_000, maxRecordBytes: 1_048_576 };
  const event = { event_type: 'page_view', session_id: 's-1', timestamp: '2026-11-22T14:29:00Z', page_url: 'https://shop.example.com/p/1?email=a%40b.example', ip_address: '198.51.100.7' };

  it('every consumer sees the pseudonymized event; opted-out records are neither accepted nor rejected; rejected bytes are sanitized', () => {
    const batch = decideBatch([record(1, event), record(2, { ...event, opt_out: true }), record(3, { ...event, timestamp: 'yesterday' }), record(4, 'not json from 198.51.100.7')], limits, hmac());
    expect(batch.accepted.map(({ event: accepted }) => [accepted.ip_address, accepted.page_url, accepted.page_path])).toEqual([[hmacAddress('198.51.100.7', KEY_A), 'https://shop.example.com/p/1', '/p/1']]);
    expect(batch.optedOut.map((optedOut) => optedOut.sequenceNumber)).toEqual(['49002']);
    expect(batch.rejected.map(({ rejection }) => rejection.reason)).toEqual(['invalid_timestamp', 'invalid_json']);
    const stored = batch.rejected.map(({ data }) => Buffer.from(data).toString());
    for (const text of stored) expect(text).not.toMatch(/198\.51\.100\.7|email=/);
    expect(stored[1]).toBe(`not json from ${hmacAddress('198.51.100.7', KEY_A)}`);
  });
});

describe('configuration and the secret source', () => {
  it('truncate is the default; hmac needs exactly one secret source', () => {
    expect(loadConfig({}).privacy).toEqual({ addressMode: 'truncate', secretCacheMs: 300_000, queryAllowList: ['utm_*'] });
    expect(() => loadConfig({ CLIENT_ADDRESS_MODE: 'hmac' })).toThrow(ConfigError);
    expect(() => loadConfig({ CLIENT_ADDRESS_MODE: 'hmac', CLIENT_ADDRESS_HMAC_SECRET: 'x'.repeat(20), CLIENT_ADDRESS_HMAC_SECRET_PARAMETER: '/p' })).toThrow(/exactly one/);
    expect(() => loadConfig({ CLIENT_ADDRESS_MODE: 'hash' })).toThrow(/CLIENT_ADDRESS_MODE/);
    expect(loadConfig({ URL_QUERY_ALLOW_LIST: 'none' }).privacy.queryAllowList).toEqual([]);
    expect(loadConfig({ URL_QUERY_ALLOW_LIST: 'utm_*, Ref' }).privacy.queryAllowList).toEqual(['utm_*', 'ref']);
    expect(() => loadConfig({ URL_QUERY_ALLOW_LIST: 'a b' })).toThrow(/URL_QUERY_ALLOW_LIST/);
  });

  it('re-reads the secret after the cache time, keeps the cached key when a re-read fails, and fails when the first read does', async () => {
    const config = loadConfig({ CLIENT_ADDRESS_MODE: 'hmac', CLIENT_ADDRESS_HMAC_SECRET_PARAMETER: '/clickstream/address-secret', CLIENT_ADDRESS_HMAC_SECRET_CACHE_SECONDS: '60' });
    let clock = 0;
    const secrets: Array<string | Error> = ['first-secret-of-at-least-16-bytes', new Error('throttled'), 'second-secret-after-the-rotation'];
    let reads = 0;
    const source = privacySource(config, {
      now: () => clock,
      reader: async () => {
        const next = secrets[reads++]!;
        if (next instanceof Error) throw next;
        return next;
      },
    });
    expect((await source.policy()).addressKey?.id).toBe(KEY_A.id);
    clock = 30_000;
    expect((await source.policy()).addressKey?.id).toBe(KEY_A.id);
    expect(reads).toBe(1);
    clock = 61_000;
    expect((await source.policy()).addressKey?.id).toBe(KEY_A.id);
    clock = 122_000;
    expect((await source.policy()).addressKey?.id).toBe(KEY_B.id);
    expect(reads).toBe(3);

    const failing = privacySource(config, { reader: () => Promise.reject(new Error('AccessDenied')) });
    await expect(failing.policy()).rejects.toThrow('AccessDenied');
  });
});
