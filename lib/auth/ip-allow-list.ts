import { BlockList, isIP } from 'node:net';
import { ConfigurationError } from '../errors';

/** An allow-list of addresses and CIDR ranges (IPv4 and IPv6), on Node's own `BlockList`. */
export function ipAllowList(entries: readonly string[]): (ip: string | undefined) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.trim().split('/');
    const family = isIP(address);
    if (family === 0) throw new ConfigurationError('ERR_NTW_IP_ALLOW_LIST', `Not an IP address or CIDR range: "${entry}"`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) { list.addAddress(address, type); continue; }
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
      throw new ConfigurationError('ERR_NTW_IP_ALLOW_LIST', `Bad prefix length in "${entry}"`);
    }
    list.addSubnet(address, prefix, type);
  }
  return (ip) => {
    if (!ip) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    const address = mapped?.[1] ?? ip;
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}
