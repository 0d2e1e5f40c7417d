/**
 * TLS, after the ClientHello has been read (and parsed), either pass the raw stream
 * through, or terminate it with the leaf for the SNI name (its wildcard route's one leaf where
 * browsers accept it, leafName.ts; the dialled address's when there is no SNI, or when no route
 * serves the name) and hand the plaintext to HTTP/2 or HTTP/1.1 by what ALPN chose.
 */
import { networkInterfaces } from "node:os";
import tls from "node:tls";
import type net from "node:net";
import type { ClientHello } from "./clientHello";
import type { ConnectionRecorder } from "../records/connectionRecorder";
import type { ProxyContext } from "../context";
import {
  explainCertificateUnreadable,
  explainHandshakeFailure,
  explainNoCertificate,
  refusedNameNote,
  refusedServerNameNote,
  unroutedNameNote,
} from "../records/explain";
import { isLoopback, plainAddress } from "../../net/interfaces";
import { Http1Session } from "../h1/http1Session";
import type { Http2Front } from "../h2/http2Front";
import { passThrough } from "./passthrough";
import { leafNameFor } from "./leafName";
import type { ConnectionRecord } from "../records/records";
import type { RouteTable } from "../routes";
import type { RouteSetting } from "../../settings";

type CertificateSummary = NonNullable<NonNullable<ConnectionRecord["tls"]>["certificate"]>;

/** The record's certificate fields per secure context, so a cached leaf is not looked up per connection. */
const certificates = new WeakMap<tls.SecureContext, CertificateSummary>();

function ignore(): void {}

/** h2, then http/1.1, in ALPN's wire form: converted once, not from an array on every connection. */
const ALPN = Buffer.from([2, ...Buffer.from("h2"), 8, ...Buffer.from("http/1.1")]);

/** A loopback address, or one of this machine's own (a browser here dialling the LAN address). */
function isThisMachine(address: string): boolean {
  if (isLoopback(address)) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === address));
}

/**
 * The most specific route for each SNI name seen, per route table. A table is replaced wholesale
 * on every settings update (and on every route the control socket adds), so a new route counts
 * from the next connection on. Bounded like the CA's remembered verdicts: an invented name per
 * connection only starts the memo over.
 */
const routeByServerName = new WeakMap<RouteTable, Map<string, RouteSetting | null>>();
const REMEMBERED_SERVER_NAMES = 256;

/** The route that serves `serverName` first (its passthrough flag decides), or undefined; one lookup per name and table. */
export function routeForServerName(table: RouteTable, serverName: string): RouteSetting | undefined {
  let seen = routeByServerName.get(table);
  if (!seen) routeByServerName.set(table, (seen = new Map()));
  const known = seen.get(serverName);
  if (known !== undefined) return known ?? undefined;
  const route = table.forHost(serverName)[0];
  if (seen.size >= REMEMBERED_SERVER_NAMES) seen.clear();
  seen.set(serverName, route ?? null);
  return route;
}

/**
 * Which name's certificate to present, and why when it is not the name the client asked for.
 * Only names a route covers get a leaf of their own, besides the two fallbacks (the dialled
 * address and localhost): a client sending invented names, or bytes that are no host name, gets
 * the fallback's certificate, so it cannot make the proxy mint leaves without end (issue 22).
 */
export function certificateNameFor(
  hello: ClientHello,
  localAddress: string,
  refusalFor: (name: string) => string | undefined,
  /** A route covers the SNI name. */
  routed: boolean,
): { name: string; note?: string } {
  const dialled = plainAddress(localAddress);
  const fallback = (): string => (refusalFor(dialled) === undefined ? dialled : "localhost");
  if (hello.refusedServerName !== undefined) {
    const presented = fallback();
    return { name: presented, note: refusedServerNameNote(hello.refusedServerName, presented) };
  }
  const sni = hello.serverName;
  if (sni === undefined) return { name: dialled };
  const refusal = refusalFor(sni);
  if (refusal !== undefined) {
    const presented = fallback();
    return { name: presented, note: refusedNameNote(sni, refusal, presented) };
  }
  if (sni === dialled || sni === "localhost" || routed) return { name: sni };
  const presented = fallback();
  return { name: presented, note: unroutedNameNote(sni, presented) };
}

/** Continues a connection whose first bytes were a complete ClientHello. `peeked` is everything read so far. */
export async function continueTls(
  socket: net.Socket,
  peeked: Buffer,
  hello: ClientHello,
  ctx: ProxyContext,
  rec: ConnectionRecorder,
  h2: Http2Front,
): Promise<void> {
  // One (remembered) lookup answers both: is the name passed through, and does any route serve it.
  const routes = ctx.routes();
  const route = hello.serverName !== undefined ? routeForServerName(routes, hello.serverName) : undefined;
  if (route?.passthrough) return passThrough(socket, peeked, route, ctx, rec);

  const { name, note } = certificateNameFor(
    hello,
    socket.localAddress ?? "127.0.0.1",
    (n) => ctx.leaves.refusalFor(n),
    route !== undefined,
  );
  // A name its wildcard route serves gets the route's one wildcard leaf where browsers accept it.
  const leafName =
    route !== undefined && name === hello.serverName ? leafNameFor(name, route, (n) => ctx.leaves.refusalFor(n)) : name;
  let secureContext: tls.SecureContext;
  try {
    secureContext = await ctx.leaves.secureContextFor(leafName);
  } catch (e) {
    rec.fail("handshake", explainNoCertificate(leafName, e));
    socket.destroy();
    return;
  }
  if (socket.destroyed) return;
  rec.record.tls = note ? { certificateNote: note } : {};
  socket.unshift(peeked);
  const tlsSocket = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ALPN });
  const timer = setTimeout(
    () => tlsSocket.destroy(Object.assign(new Error("handshake timeout"), { code: "HANDSHAKE_TIMEOUT" })),
    ctx.timeouts.handshakeMs,
  );
  timer.unref();
  let secure = false;
  const failed = (e: unknown): void => {
    clearTimeout(timer);
    if (secure) return;
    secure = true; // report once
    const client = rec.record.clientHello?.client;
    const address = plainAddress(socket.remoteAddress);
    const origin = { ...(client ? { client } : {}), remote: !isThisMachine(address), address };
    const explained = explainHandshakeFailure(e, socket.bytesWritten > 0, origin);
    rec.fail("handshake", explained);
    tlsSocket.destroy();
  };
  // Built only when the handshake did not finish, never on the happy path.
  const closedEarly = (): void => {
    if (!secure) failed(Object.assign(new Error("closed"), { code: "CLOSED" }));
  };
  tlsSocket.on("error", failed);
  tlsSocket.once("close", closedEarly);
  tlsSocket.once("secure", () => {
    clearTimeout(timer);
    secure = true;
    tlsSocket.off("error", failed);
    tlsSocket.off("close", closedEarly);
    tlsSocket.on("error", ignore);
    rec.mark("handshakeDone");
    const alpn = tlsSocket.alpnProtocol || undefined;
    rec.record.tls = {
      ...rec.record.tls,
      ...(tlsSocket.getProtocol() ? { version: tlsSocket.getProtocol() ?? undefined } : {}),
      cipher: tlsSocket.getCipher().name,
      ...(alpn ? { alpn } : {}),
      ...(tlsSocket.isSessionReused() ? { resumed: true } : {}),
    };
    const known = certificates.get(secureContext);
    if (known) rec.record.tls = { ...rec.record.tls, certificate: known };
    else
      ctx.leaves.leafFor(leafName).then(
        (leaf) => {
          const certificate = {
            subject: leaf.subject,
            sans: leaf.names,
            fingerprint256: leaf.fingerprint256,
            issuer: leaf.issuer,
          };
          // Keyed by the context: a renewed leaf comes with a new context, so this never goes stale.
          certificates.set(secureContext, certificate);
          rec.record.tls = { ...rec.record.tls, certificate };
        },
        (e: unknown) => {
          // The handshake went on with the context; the record says why it has no certificate.
          const certificateProblem = explainCertificateUnreadable(leafName, e).explanation;
          rec.record.tls = { ...rec.record.tls, certificateProblem };
        },
      );
    const tlsServerName = hello.serverName;
    // The route's wildcard leaf also covers the names beside this one, which a browser may send here.
    const sharedLeaf = leafName !== name ? leafName : undefined;
    if (alpn === "h2") h2.accept(tlsSocket, rec, tlsServerName, sharedLeaf);
    else {
      const mode = {
        scheme: "https" as const,
        redirectOnly: false,
        tlsServerName,
        ...(sharedLeaf ? { sharedLeaf } : {}),
      };
      new Http1Session(tlsSocket, ctx, rec, mode, Buffer.alloc(0));
    }
  });
}
