import { isIP } from 'node:net';

/**
 * The privacy rule for client addresses: an address is truncated before anything stores it, so
 * no table, archive line or log holds a full address. IPv4 keeps its /24 network
 * (`203.0.113.77` → `203.0.113.0`), IPv6 its /48 (`2001:db8:abcd:12::1` → `2001:db8:abcd::`),
 * the prefixes Google Analytics' IP anonymization and most web analytics use: enough for coarse
 * geography and abuse ranges, not enough to single out a household. An IPv4-mapped IPv6 address
 * (`::ffff:203.0.113.77`, what a dual-stack socket reports) is treated as the IPv4 address it holds.
 *
 * The collector applies it to the socket (or trusted proxy) address and to any `ip_address` an
 * event carries; consumers can apply the same function to records that reached the stream
 * another way.
 */

/** Prefix lengths kept by `truncateIpAddress`. */
export const IP_TRUNCATION = { ipv4Bits: 24, ipv6Bits: 48 } as const;
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The truncated form of an IPv4 or IPv6 address, or undefined when `address` is not one (a
 * hostname, garbage, an empty string). Zone ids (`fe80::1%eth0`) are dropped.
 */
export function truncateIpAddress(address: string): string | undefined {
  const trimmed = address.trim().replace(/^\[(.*)\]$/, '$1');
  const withoutZone = trimmed.includes('%') ? trimmed.slice(0, trimmed.indexOf('%')) : trimmed;
  const mapped = IPV4_MAPPED.exec(withoutZone);
  const candidate = mapped ? mapped[1]! : withoutZone;
  switch (isIP(candidate)) {
    case 4:
      return truncateIpv4(candidate);
    case 6:
      return truncateIpv6(candidate);
    default:
      return undefined;
  }
}

/** The /24 of a valid dotted IPv4 address: its first three octets, then 0. */
function truncateIpv4(address: string): string {
  return `${address.slice(0, address.lastIndexOf('.'))}.0`;
}

function truncateIpv6(address: string): string {
  const groups = ipv6Groups(address);
  const keep = IP_TRUNCATION.ipv6Bits / 16;
  const kept = groups.slice(0, keep).map((group) => group.toString(16));
  // The kept groups followed by zeros: `a:b:c::` (or `a:b:c:0:0:0:0:0` compressed).
  return `${kept.join(':')}::`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 converted). */
export function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array.from({ length: missing }, () => '0'), ...tailGroups];
  return groups.map((group) => parseInt(group, 16));
}
