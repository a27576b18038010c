/**
 * The client's address: the peer address, or, behind `trustedHops` proxies that each append the
 * address they saw to X-Forwarded-For, the entry the outermost trusted proxy appended. Entries a
 * client wrote itself (anything further left) are never believed.
 * https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Forwarded-For#selecting_an_ip_address
 */
export function clientAddress(sourceIp: string, forwardedFor: string | undefined, trustedHops: number): string {
  if (trustedHops <= 0 || forwardedFor === undefined) return sourceIp;
  const hops = forwardedFor.split(',').map((entry) => entry.trim()).filter(Boolean);
  // The nearest proxy's own view is the peer address; each further trusted proxy appended one entry.
  return hops[hops.length - trustedHops] ?? hops[0] ?? sourceIp;
}
