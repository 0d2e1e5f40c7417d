/**
 * A multicast DNS responder (RFC 6762) for the shared routes' `.local` names: it probes each name
 * before using it (section 8.1), renames on a conflict (`my-app-2.local`, section 9) and says so,
 * announces claimed names (section 8.3), answers A and AAAA queries with the addresses of the
 * interface the query came in on (section 6.2: the querier's subnet tells which), answers legacy
 * unicast queries (section 6.7), and says goodbye with TTL 0 when it stops (section 10.1).
 * Packets are encoded and decoded by `multicast-dns` (dns-packet), not by hand.
 *
 * Limits, stated: IPv4 multicast only (AAAA records of an interface's IPv6 addresses are still
 * given in answers over IPv4); simultaneous probes are not tie-broken (section 8.2) and a conflict
 * seen after a name was claimed is reported, not re-probed.
 */
import { EventEmitter } from "node:events";
import type { RemoteInfo } from "node:dgram";
import makeMdns from "multicast-dns";
import type { Answer, Packet } from "dns-packet";
import { addressesFacing, type LanAddress } from "./lanAddresses";
import { nextLanName, type LanName } from "./lanNames";

/** A DNS message as dns-packet encodes it (its types lack ANY questions, so loosely typed here). */
interface MdnsMessage {
  type: "query" | "response";
  id?: number;
  questions?: { name: string; type: string; class?: string }[];
  answers?: Answer[];
  authorities?: Answer[];
}

/** The part of a multicast-dns instance the responder uses (one per interface). */
interface MdnsSocket {
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  respond(message: MdnsMessage, rinfo?: { port: number; address: string }, cb?: () => void): void;
  respond(message: MdnsMessage, cb: () => void): void;
  query(message: MdnsMessage): void;
  destroy(cb?: () => void): void;
}

/** What a responder needs. */
export interface MdnsResponderOptions {
  /** The LAN addresses to answer with (lanAddresses.ts). */
  addresses: LanAddress[];
  /** Gap between the three probes; RFC 6762 says 250 ms. */
  probeIntervalMs?: number;
  /** TTL of answers in seconds; RFC 6762 recommends 120 for host records. */
  ttl?: number;
  /** UDP port; 5353 except in tests of the codec path. */
  port?: number;
}

/** Events: 'names' when a name is claimed or renamed, 'conflict' (words), 'error' (cannot answer at all). */
export interface MdnsResponderEvents {
  names: [LanName[]];
  conflict: [string];
  error: [Error];
}

/** How many renames a name gets before the responder gives up on it (RFC 6762 section 8.1 rate-limits after 15). */
const MAX_RENAMES = 15;

/** The responder for one proxy's shared names. */
export class MdnsResponder extends EventEmitter<MdnsResponderEvents> {
  private readonly sockets = new Map<string, MdnsSocket>();
  private readonly held = new Map<string, LanName>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly probeIntervalMs: number;
  private readonly ttl: number;
  private readonly port: number;
  private addresses: LanAddress[];
  private stopped = false;

  constructor(options: MdnsResponderOptions) {
    super();
    this.addresses = options.addresses;
    this.probeIntervalMs = options.probeIntervalMs ?? 250;
    this.ttl = options.ttl ?? 120;
    this.port = options.port ?? 5353;
  }

  /** Opens one socket per interface with an IPv4 LAN address; resolves when they are bound. */
  async start(): Promise<void> {
    const byInterface = new Map<string, string>();
    for (const a of this.addresses)
      if (a.family === 4 && !byInterface.has(a.interfaceName)) byInterface.set(a.interfaceName, a.address);
    await Promise.all(
      [...byInterface].map(
        ([name, address]) =>
          new Promise<void>((resolve) => {
            const socket = makeMdns({
              interface: address,
              bind: "0.0.0.0",
              port: this.port,
              reuseAddr: true,
              loopback: true,
            }) as unknown as MdnsSocket;
            socket.once("ready", () => resolve());
            socket.on("error", (e: Error) => {
              this.emit("error", new Error(`cannot answer mDNS on ${name} (${address}): ${e.message}`));
              resolve();
            });
            socket.on("query", (p: Packet, r: RemoteInfo) => this.onQuery(name, p, r));
            socket.on("response", (p: Packet, r: RemoteInfo) => this.onResponse(name, p, r));
            socket.on("warning", () => {});
            this.sockets.set(name, socket);
          }),
      ),
    );
  }

  /** The names held now (probing or claimed). */
  names(): LanName[] {
    return [...this.held.values()].map((n) => ({ ...n }));
  }

  /** Makes the held names these: new ones are probed, gone ones get a goodbye. */
  setNames(wanted: { wanted: string; routeHost: string }[]): void {
    const keep = new Set(wanted.map((w) => w.wanted));
    for (const [key, n] of this.held) {
      if (keep.has(key)) continue;
      this.held.delete(key);
      if (n.state === "claimed") this.announce(n.name, 0);
    }
    for (const w of wanted) {
      if (this.held.has(w.wanted)) continue;
      const n: LanName = { wanted: w.wanted, name: w.wanted, routeHost: w.routeHost, state: "probing" };
      this.held.set(w.wanted, n);
      this.probe(n, 0);
    }
    this.emit("names", this.names());
  }

  /** Says goodbye for every claimed name and closes the sockets; the names stop resolving at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const goodbyes = [...this.held.values()].filter((n) => n.state === "claimed").map((n) => this.announce(n.name, 0));
    await Promise.all(goodbyes);
    this.held.clear();
    await Promise.all([...this.sockets.values()].map((s) => new Promise<void>((r) => s.destroy(() => r()))));
    this.sockets.clear();
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Section 8.1: three probes 250 ms apart, each asking ANY for the name with our records as authority. */
  private probe(n: LanName, sent: number): void {
    if (this.held.get(n.wanted) !== n || n.state !== "probing") return;
    if (sent === 3) {
      n.state = "claimed";
      this.emit("names", this.names());
      void this.announce(n.name, this.ttl).then(() => this.later(1000, () => void this.announce(n.name, this.ttl)));
      return;
    }
    const name = n.name;
    for (const [iface, socket] of this.sockets)
      socket.query({
        type: "query",
        questions: [{ name, type: "ANY", class: "IN" }],
        authorities: this.recordsFor(name, this.facing(iface), this.ttl),
      });
    this.later(this.probeIntervalMs, () => {
      if (n.name === name) this.probe(n, sent + 1);
    });
  }

  private onResponse(iface: string, packet: Packet, rinfo: RemoteInfo): void {
    if (this.isOwn(rinfo.address) || !this.handles(iface, rinfo.address)) return;
    const named = new Set([...(packet.answers ?? []), ...(packet.additionals ?? [])].map((a) => a.name.toLowerCase()));
    for (const n of this.held.values()) {
      if (!named.has(n.name)) continue;
      if (n.state === "claimed") {
        this.emit("conflict", `${rinfo.address} also answers for ${n.name}; devices may reach either`);
        continue;
      }
      this.rename(n, rinfo.address);
    }
  }

  /** Section 9: another host answers for the name being probed: take the next one and probe again. */
  private rename(n: LanName, by: string): void {
    const tries = Number(/-(\d+)\.[^.]*$/.exec(n.name.split(".")[0] + ".x")?.[1] ?? "1");
    const taken = n.name;
    if (tries >= MAX_RENAMES) {
      this.held.delete(n.wanted);
      this.emit(
        "conflict",
        `${taken} is taken on the network (by ${by}) and so are ${MAX_RENAMES - 1} numbered names after it; ${n.routeHost} is not shared by name`,
      );
      this.emit("names", this.names());
      return;
    }
    n.name = nextLanName(taken, n.wanted);
    n.renamedBecause = `${taken} is already claimed on the local network by ${by}`;
    this.emit(
      "conflict",
      `${taken} is already claimed on the local network by ${by}; ${n.routeHost} is shared as ${n.name} instead`,
    );
    this.emit("names", this.names());
    this.probe(n, 0);
  }

  private onQuery(iface: string, packet: Packet, rinfo: RemoteInfo): void {
    if (this.isOwn(rinfo.address) || !this.handles(iface, rinfo.address)) return;
    const addresses = this.facing(iface, rinfo.address);
    const legacy = rinfo.port !== this.port;
    const answers: Answer[] = [];
    let unicast = legacy;
    const asked: { name: string; type: string; class: string }[] = [];
    for (const q of (packet.questions ?? []) as { name: string; type: string; class?: string }[]) {
      const n = [...this.held.values()].find((h) => h.state === "claimed" && h.name === q.name.toLowerCase());
      if (!n || !(q.type === "A" || q.type === "AAAA" || q.type === "ANY")) continue;
      asked.push({ name: q.name, type: q.type, class: "IN" });
      if (isUnicastQuestion(q)) unicast = true;
      for (const r of this.recordsFor(n.name, addresses, legacy ? Math.min(this.ttl, 10) : this.ttl))
        if (q.type === "ANY" || r.type === q.type) answers.push(r);
    }
    if (answers.length === 0) return;
    const socket = this.sockets.get(iface);
    if (!socket) return;
    const peer = { port: rinfo.port, address: rinfo.address };
    if (legacy)
      socket.respond(
        { type: "response", ...(packet.id !== undefined ? { id: packet.id } : {}), questions: asked, answers },
        peer,
      );
    else if (unicast) socket.respond({ type: "response", answers }, peer);
    else socket.respond({ type: "response", answers });
  }

  /** Sends the name's records unsolicited on every interface (TTL 0 is a goodbye). */
  private announce(name: string, ttl: number): Promise<void> {
    return Promise.all(
      [...this.sockets].map(
        ([iface, socket]) =>
          new Promise<void>((resolve) =>
            socket.respond({ type: "response", answers: this.recordsFor(name, this.facing(iface), ttl) }, () =>
              resolve(),
            ),
          ),
      ),
    ).then(() => {});
  }

  private recordsFor(name: string, addresses: LanAddress[], ttl: number): Answer[] {
    return addresses.map(
      (a) => ({ name, type: a.family === 4 ? "A" : "AAAA", class: "IN", ttl, flush: true, data: a.address }) as Answer,
    );
  }

  /** The addresses of interface `iface` (or, given a peer, of the interface on the peer's subnet). */
  private facing(iface: string, peer?: string): LanAddress[] {
    const byPeer = peer ? addressesFacing(peer, this.addresses) : [];
    return byPeer.length > 0 ? byPeer : this.addresses.filter((a) => a.interfaceName === iface);
  }

  /**
   * Every socket sees every packet (Linux delivers multicast to all sockets on the port): the one
   * whose interface's subnet holds the sender handles it, else the first socket.
   */
  private handles(iface: string, peer: string): boolean {
    const byPeer = addressesFacing(peer, this.addresses)[0]?.interfaceName;
    return iface === (byPeer ?? this.sockets.keys().next().value);
  }

  private isOwn(address: string): boolean {
    return this.addresses.some((a) => a.address === address);
  }
}

/** The QU bit (section 5.4); dns-packet leaves it in the class (`UNKNOWN_32769`). */
function isUnicastQuestion(q: { class?: string }): boolean {
  const m = /^UNKNOWN_(\d+)$/.exec(String(q.class));
  return m !== null && (Number(m[1]) & 0x8000) !== 0;
}
