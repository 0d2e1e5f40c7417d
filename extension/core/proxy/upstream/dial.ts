/**
 * Reaching the route's upstream. `localhost` is dialled on both ::1 and 127.0.0.1 (a dev
 * server bound to only one of them must still work), https upstreams get TLS with the route's
 * trust options, and every failure becomes an error whose code {@link explainUpstreamFailure} reads.
 */
import assert from "node:assert";
import net from "node:net";
import tls from "node:tls";
import type { LookupAddress } from "node:dns";
import type { RouteSetting } from "../../settings";
import { isLocalhostName } from "../../net/listenSpec";
import { redactUrlCredentials } from "../../urlCredentials";

/** Where a route's requests go. */
export interface UpstreamOrigin {
  /** The route's upstream URL as configured, its password masked: shown and recorded, never dialled. */
  url: string;
  secure: boolean;
  /** Host name or address, without brackets. */
  host: string;
  port: number;
  /** Accept any certificate (self-signed dev servers). */
  insecure: boolean;
  /** Identifies a connection that can be reused for another route with the same upstream. */
  key: string;
}

/** Origins by route: routes are immutable objects, replaced wholesale on a settings update. */
const origins = new WeakMap<RouteSetting, UpstreamOrigin>();

/** The upstream of a route (parsed once per route object); the URL was validated when settings were parsed. */
export function originOf(route: RouteSetting): UpstreamOrigin {
  let origin = origins.get(route);
  if (!origin) {
    origin = parseOrigin(route);
    origins.set(route, origin);
  }
  return origin;
}

function parseOrigin(route: RouteSetting): UpstreamOrigin {
  const url = new URL(route.upstream);
  const secure = url.protocol === "https:";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const insecure = secure && route.insecureUpstream;
  return {
    url: redactUrlCredentials(route.upstream),
    secure,
    host,
    port,
    insecure,
    key: `${url.protocol}//${host}:${port}#${insecure}`,
  };
}

/** The socket addresses a dial of `origin` tries, for explanations ("[::1]:3000 or 127.0.0.1:3000"). */
export function dialledAddresses(origin: UpstreamOrigin): string[] {
  if (isLocalhostName(origin.host)) return [`[::1]:${origin.port}`, `127.0.0.1:${origin.port}`];
  return [socketAddress(origin.host, origin.port)];
}

/** `127.0.0.1:3000`, `[::1]:3000`. */
export function socketAddress(address: string, port: number): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The address a connected socket reached (`[::1]:3000` when `localhost` was dialled), as records name it. */
export function peerAddress(socket: net.Socket): string {
  const { remoteAddress, remotePort } = socket;
  assert(remoteAddress !== undefined && remotePort !== undefined, "a connected socket has a peer address");
  return socketAddress(remoteAddress, remotePort);
}

/** A failed dial's error: `dialled` lists the socket addresses it tried, when Node said which. */
export interface DialFailure extends NodeJS.ErrnoException {
  dialled?: string[];
}

/** The addresses a failed dial tried (both loopbacks of `localhost`, or the one that failed), if known. */
export function triedAddresses(error: unknown): string[] | undefined {
  const dialled = (error as DialFailure | undefined)?.dialled;
  return dialled && dialled.length > 0 ? dialled : undefined;
}

const LOOPBACK_BOTH: LookupAddress[] = [
  { address: "::1", family: 6 },
  { address: "127.0.0.1", family: 4 },
];

type LookupCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[] | string, family?: number) => void;

/** A `lookup` for net.connect that answers both loopback addresses for localhost names. */
function loopbackLookup(_host: string, options: { all?: boolean }, callback: LookupCallback): void {
  if (options.all) callback(null, LOOPBACK_BOTH);
  else callback(null, "::1", 6);
}

/**
 * Socket options for reaching `origin`: happy eyeballs over ::1 and 127.0.0.1 for localhost, or
 * over `addresses` when only those may be dialled (listenerCheck.ts).
 */
export function connectOptions(origin: UpstreamOrigin, addresses?: readonly string[]): net.NetConnectOpts {
  const base: net.TcpNetConnectOpts = { host: origin.host, port: origin.port, noDelay: true };
  if (addresses?.length === 1) return { ...base, host: addresses[0]! };
  if (addresses && addresses.length > 1) {
    const answers = addresses.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }));
    const lookup = (_host: string, options: { all?: boolean }, callback: LookupCallback): void =>
      options.all ? callback(null, answers) : callback(null, answers[0]!.address, answers[0]!.family);
    return { ...base, autoSelectFamily: true, autoSelectFamilyAttemptTimeout: 250, lookup };
  }
  if (isLocalhostName(origin.host))
    return { ...base, autoSelectFamily: true, autoSelectFamilyAttemptTimeout: 250, lookup: loopbackLookup };
  return { ...base, autoSelectFamily: true };
}

/** TLS options for an https upstream: SNI unless the host is an address, the Switchyard root trusted too. */
export function tlsOptions(origin: UpstreamOrigin, extraCaPem?: string): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = { rejectUnauthorized: !origin.insecure, ALPNProtocols: ["http/1.1"] };
  if (!net.isIP(origin.host)) options.servername = origin.host;
  if (extraCaPem) options.secureContext = trustContext(extraCaPem);
  return options;
}

const trustContexts = new Map<string, tls.SecureContext>();

/** One secure context per extra root: building one parses ~140 system roots, far too slow per dial. */
function trustContext(extraCaPem: string): tls.SecureContext {
  let context = trustContexts.get(extraCaPem);
  if (!context) {
    context = tls.createSecureContext({ ca: [...tls.rootCertificates, extraCaPem] });
    trustContexts.set(extraCaPem, context);
  }
  return context;
}

/** An error with a `code`, as Node's socket errors have. */
export class UpstreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

/** How one dial goes. */
export interface DialOptions {
  timeoutMs: number;
  /** A root trusted for https upstreams besides the system's (the Switchyard root). */
  extraCaPem?: string;
  /** For plain origins: read into this buffer and call back instead of emitting 'data' (net.OnReadOpts). */
  onread?: net.OnReadOpts;
  /** Dial only these addresses of the origin's host (those held by this user). */
  addresses?: readonly string[];
  /** Checked once TCP is up (with the peer's plain address), before TLS or any request: an error fails the dial. */
  vetConnected?: (address: string) => Promise<Error | undefined>;
}

/**
 * Opens one connection to `origin` (TLS included for https), resolving once it can carry a
 * request. Rejects with the socket error, or an UpstreamError with code UPSTREAM_TIMEOUT.
 */
export function dialUpstream(origin: UpstreamOrigin, options: DialOptions): Promise<net.Socket> {
  const { timeoutMs, extraCaPem, onread, vetConnected } = options;
  return new Promise((resolve, reject) => {
    const connect = connectOptions(origin, options.addresses);
    const raw = net.connect(onread && !origin.secure ? { ...connect, onread } : connect);
    let secure: tls.TLSSocket | undefined;
    const timer = setTimeout(
      () => fail(new UpstreamError("UPSTREAM_TIMEOUT", `no connection to ${origin.url} after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (e: Error): void => {
      clearTimeout(timer);
      const failure = firstError(e);
      // Connected, then TLS failed: the address that answered (read before the socket is destroyed).
      if (!failure.dialled && raw.remoteAddress !== undefined && raw.remotePort !== undefined)
        failure.dialled = [socketAddress(raw.remoteAddress, raw.remotePort)];
      secure?.destroy();
      raw.destroy();
      reject(failure);
    };
    const done = (socket: net.Socket): void => {
      clearTimeout(timer);
      secure?.removeListener("error", fail);
      raw.removeListener("error", fail);
      resolve(socket);
    };
    raw.once("error", fail);
    // TLS starts once TCP is up: with autoSelectFamily the socket's handle is replaced when the
    // first address fails, and a TLS layer wrapped around the old handle would write into a freed
    // stream (a crash in node's TLSWrap).
    const startTls = (): void => {
      if (!origin.secure) return done(raw);
      const tlsSocket = (secure = tls.connect({ ...tlsOptions(origin, extraCaPem), socket: raw }));
      tlsSocket.once("error", fail);
      tlsSocket.once("secureConnect", () => done(tlsSocket));
    };
    raw.once("connect", () => {
      if (!vetConnected) return startTls();
      vetConnected(raw.remoteAddress ?? "").then(
        (refused) => {
          if (raw.destroyed) return;
          if (refused) fail(refused);
          else startTls();
        },
        (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
      );
    });
  });
}

/**
 * With autoSelectFamily every address may fail; the AggregateError's first refusal (else its first
 * entry) says why. The result names every address that was tried (`dialled`).
 */
function firstError(e: Error): DialFailure {
  const errors: unknown[] = e instanceof AggregateError ? e.errors : [e];
  const tried = errors.flatMap((x) => {
    const { address, port } = x as { address?: unknown; port?: unknown };
    return typeof address === "string" && typeof port === "number" ? [socketAddress(address, port)] : [];
  });
  let first: DialFailure = e;
  if (e instanceof AggregateError && e.errors.length > 0 && e.errors[0] instanceof Error) {
    const refused = e.errors.find(
      (x: unknown) => x instanceof Error && (x as NodeJS.ErrnoException).code === "ECONNREFUSED",
    );
    first = (refused as Error | undefined) ?? (e.errors[0] as Error);
  }
  if (tried.length > 0) first.dialled = tried;
  return first;
}
