import { truncateIpAddress } from '@clickstream/shared';

describe('truncateIpAddress (IPv4 /24, IPv6 /48)', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['10.1.2.3', '10.1.2.0'],
    [' 198.51.100.1 ', '198.51.100.0'],
    ['::ffff:203.0.113.77', '203.0.113.0'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::'],
    ['2001:0db8:00ab:ffff:1:2:3:4', '2001:db8:ab::'],
    ['[2001:db8:abcd:12::1]', '2001:db8:abcd::'],
    ['fe80::1%eth0', 'fe80:0:0::'],
    ['::1', '0:0:0::'],
    ['2001:db8::ffff:192.0.2.1', '2001:db8:0::'],
  ])('%s → %s', (address, truncated) => {
    expect(truncateIpAddress(address)).toBe(truncated);
  });

  it.each(['', 'localhost', 'shop.example.com', '999.1.1.1', '1.2.3', '2001:db8:::1', 'not an address'])('leaves %j alone: not an address', (text) => {
    expect(truncateIpAddress(text)).toBeUndefined();
  });

  it('gives every address of one /24 the same value and neighbouring networks different ones', () => {
    const values = new Set(Array.from({ length: 256 }, (_, host) => truncateIpAddress(`192.0.2.${host}`)));
    expect([...values]).toEqual(['192.0.2.0']);
    expect(truncateIpAddress('192.0.3.1')).not.toBe(truncateIpAddress('192.0.2.1'));
  });
});
