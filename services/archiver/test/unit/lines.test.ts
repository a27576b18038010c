import { decodeEvent } from '@clickstream/shared';
import { eventFromArchiveLine } from '../../src/contract';
import { toArchiveLine, toQuarantineLine } from '../../src/lines';
import { NOW, SHARD, sequenceNumber } from '../support';

const record = (data: string) => ({ shardId: SHARD, sequenceNumber: sequenceNumber(7), partitionKey: 'p-1', data: Buffer.from(data), arrivalMs: NOW });
const validation = { nowMs: NOW, maxFutureSkewMs: 300_000, maxEventAgeMs: 7 * 86_400_000, maxRecordBytes: 1_048_576 };

describe('archive lines', () => {
  it('normalizes the camelCase SDK payload to the canonical line, in a fixed field order', () => {
    const sdk = JSON.stringify({
      eventName: 'view_product',
      sessionId: 's-9',
      userId: 'u-1',
      timestamp: '2026-11-22T15:29:00+01:00',
      pageUrl: '/p/sku-1?utm_source=mail',
      userLoginState: 'logged_in',
      product: { discountPrice: 8, price: 10, id: 1001, name: 'Boot' },
    });
    const decoded = decodeEvent(Buffer.from(sdk), record(sdk), validation);
    if (!decoded.ok) throw new Error(decoded.message);

    const line = toArchiveLine(decoded.event, record(sdk));

    expect(Object.keys(line)).toEqual([
      'schema_version', 'event_id', 'event_type', 'session_id', 'user_id', 'timestamp', 'event_time',
      'page_url', 'page_path', 'user_login_state', 'product', 'received_at', 'shard_id', 'sequence_number',
    ]);
    expect(line).toMatchObject({
      event_id: `derived:${SHARD}:${sequenceNumber(7)}`,
      event_type: 'product_view',
      timestamp: '2026-11-22T15:29:00+01:00',
      event_time: '2026-11-22T14:29:00.000Z',
      page_path: '/p/sku-1',
      product: { id: '1001', name: 'Boot', price: 10, discount_price: 8 },
    });
    expect(Object.keys(line.product!)).toEqual(['id', 'name', 'price', 'discount_price']);
    expect(eventFromArchiveLine(line)).toEqual(decoded.event);
  });

  it('keeps the raw bytes of a rejected record, base64, with where it came from', () => {
    const raw = Buffer.from([0xc3, 0x28, 0x7b]);
    const line = toQuarantineLine({ ok: false, reason: 'invalid_utf8', message: 'record is not valid UTF-8' }, { ...record(''), data: raw });

    expect(line).toEqual({
      schema_version: 1,
      reason: 'invalid_utf8',
      message: 'record is not valid UTF-8',
      received_at: '2026-11-22T14:30:00.000Z',
      shard_id: SHARD,
      sequence_number: sequenceNumber(7),
      partition_key: 'p-1',
      raw_size_bytes: 3,
      raw_base64: raw.toString('base64'),
    });
  });
});
