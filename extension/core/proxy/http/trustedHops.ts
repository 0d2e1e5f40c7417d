/**
 * Which clients may speak for earlier hops. X-Forwarded-For and Forwarded say who a request came
 * from; a client can write anything there, so the values it sent are kept only when the client
 * itself is a proxy the user trusts (Caddy's reverse_proxy `trusted_proxies`). By default nothing
 * is trusted: the client of a dev proxy is the browser, and its forwarding fields are replaced.
 */
import net from "node:net";

/** An entry of a trusted-hop list that is neither an address nor a CIDR block. */
export class TrustedHopError extends Error {
  constructor(readonly entry: string) {
    super(`"${entry}" is not an IP address or a CIDR block (such as 10.0.0.0/8 or fd00::/8); fix or remove it`);
    this.name = "TrustedHopError";
  }
}

/** The addresses and CIDR blocks whose forwarding fields are kept. */
export class TrustedHops {
  /** Trusts no one: every client's forwarding fields are replaced. */
  static readonly none = new TrustedHops([]);

  private readonly blocks = new net.BlockList();
  readonly empty: boolean;

  /** `entries`: addresses (`10.0.0.5`, `::1`) and CIDR blocks (`10.0.0.0/8`); throws {@link TrustedHopError}. */
  constructor(readonly entries: readonly string[]) {
    for (const entry of entries) this.add(entry);
    this.empty = entries.length === 0;
  }

  private add(entry: string): void {
    const slash = entry.indexOf("/");
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const family = net.isIPv4(address) ? "ipv4" : net.isIPv6(address) ? "ipv6" : undefined;
    if (!family) throw new TrustedHopError(entry);
    if (slash < 0) return this.blocks.addAddress(address, family);
    const bits = entry.slice(slash + 1);
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (family === "ipv4" ? 32 : 128)) throw new TrustedHopError(entry);
    this.blocks.addSubnet(address, prefix, family);
  }

  /** Whether `address` (plain, without an IPv4-mapped prefix) is a trusted hop. Once per connection. */
  trusts(address: string): boolean {
    if (this.empty) return false;
    const family = net.isIPv4(address) ? "ipv4" : net.isIPv6(address) ? "ipv6" : undefined;
    return family !== undefined && this.blocks.check(address, family);
  }
}
