import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import picomatch from 'picomatch';
import { ServiceError } from './errors.js';

/** Loopback, link-local (cloud metadata at 169.254.169.254), private and unspecified ranges. */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv6');

const internal = (address: string) => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return INTERNAL.check(mapped, 'ipv4');
  return INTERNAL.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
};

const refused = (endpoint: string, rule: string) =>
  new ServiceError('SERVICE_INVALID', `the endpoint ${endpoint} is not allowed on this server: ${rule}`);

/**
 * Which S3 endpoints stored connections may reach (`serve --s3-endpoint-allow`). With no pattern: any https
 * endpoint whose host is not loopback, link-local (cloud metadata), private or unspecified, checked on every
 * address its name resolves to. With patterns (globs on `scheme://host:port`, e.g. `http://127.0.0.1:*`,
 * `https://*.appdomain.cloud:443`), only an endpoint matching one. The CLI on the user's own machine allows any.
 */
export class EndpointPolicy {
  private constructor(private readonly matchers: ((origin: string) => boolean)[] | null) {}

  static any(): EndpointPolicy {
    return new EndpointPolicy(null);
  }

  static of(patterns: readonly string[]): EndpointPolicy {
    return new EndpointPolicy(patterns.map((p) => picomatch(p, { nocase: true, dot: true })));
  }

  /** Refuses (400, naming the rule) an endpoint the policy does not allow; absent means AWS's own. */
  async check(endpoint: string | null | undefined): Promise<void> {
    if (this.matchers === null || !endpoint) return;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw refused(endpoint, 'it is not a URL');
    }
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const origin = `${url.protocol}//${url.hostname}:${port}`;
    if (this.matchers.length > 0) {
      if (this.matchers.some((m) => m(origin))) return;
      throw refused(endpoint, `${origin} matches no --s3-endpoint-allow pattern`);
    }
    if (url.protocol !== 'https:') throw refused(endpoint, 'only https endpoints (or --s3-endpoint-allow)');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host)
      ? [host]
      : await lookup(host, { all: true }).then(
          (all) => all.map((a) => a.address),
          () => [] as string[],
        );
    if (addresses.some(internal))
      throw refused(
        endpoint,
        `${host} is a loopback, link-local or private address (or --s3-endpoint-allow)`,
      );
  }
}
