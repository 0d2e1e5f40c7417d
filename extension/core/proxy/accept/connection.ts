/**
 * A new connection: wait (bounded) for the first bytes, sniff them, read a
 * whole ClientHello when it is TLS, and hand the connection to TLS, plain HTTP, or the door.
 */
import type net from "node:net";
import { parseClientHello } from "./clientHello";
import { ConnectionRecorder } from "../records/connectionRecorder";
import type { ProxyContext } from "../context";
import { Http1Session } from "../h1/http1Session";
import type { Http2Front } from "../h2/http2Front";
import {
  explainEarlyClientClose,
  explainEarlyClientError,
  explainInternalHandshakeError,
  explainSniffTimeout,
  explainUnknownProtocol,
  explainUnusableClientHello,
  type Explained,
} from "../records/explain";
import { summarizeClientHello } from "../records/records";
import { firstBytesHex, sniff } from "./sniff";
import { continueTls } from "./tlsTerminate";

/** What the listener knows about the socket it accepted. */
export interface AcceptedOn {
  interfaceName?: string;
  /** The optional plain-HTTP port: HTTP is always redirected there. */
  redirectOnly: boolean;
}

/** Takes over a freshly accepted socket. */
export function handleConnection(socket: net.Socket, on: AcceptedOn, ctx: ProxyContext, h2: Http2Front): void {
  const rec = new ConnectionRecorder(socket, ctx.log, on.interfaceName);
  socket.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  let decided = false;
  const timeoutMs = ctx.settings().sniffTimeoutMs;

  const fail = (explained: Explained, stage: "sniff" | "handshake" = "sniff"): void => {
    decided = true;
    clearTimeout(timer);
    socket.off("data", onData);
    rec.fail(stage, explained);
    if (buf.length > 0 && rec.record.protocol !== "tls") rec.record.firstBytesHex = firstBytesHex(buf);
    socket.destroy();
  };

  const handOver = (): void => {
    decided = true;
    clearTimeout(timer);
    socket.pause();
    socket.off("data", onData);
  };

  const onData = (chunk: Buffer): void => {
    rec.mark("firstByte");
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const verdict = sniff(buf);
    if (verdict === "need-more") return;
    if (verdict === "unknown") {
      rec.record.protocol = "unknown";
      return fail(explainUnknownProtocol());
    }
    if (verdict === "http") {
      rec.record.protocol = "http";
      handOver();
      new Http1Session(socket, ctx, rec, { scheme: "http", redirectOnly: on.redirectOnly }, buf);
      return;
    }
    rec.record.protocol = "tls";
    const parsed = parseClientHello(buf);
    if (parsed.kind === "need-more") return;
    if (parsed.kind === "error") {
      rec.record.firstBytesHex = firstBytesHex(buf);
      return fail(explainUnusableClientHello(parsed.error.code, parsed.error.message), "handshake");
    }
    rec.mark("clientHello");
    rec.record.clientHello = summarizeClientHello(parsed.hello);
    handOver();
    continueTls(socket, buf, parsed.hello, ctx, rec, h2).catch((e: unknown) => {
      rec.fail("handshake", explainInternalHandshakeError(e));
      socket.destroy();
    });
  };

  const timer = setTimeout(() => {
    if (decided) return;
    fail(explainSniffTimeout(buf.length, rec.record.protocol === "tls", timeoutMs));
  }, timeoutMs);

  socket.on("data", onData);
  socket.on("error", (e: NodeJS.ErrnoException) => {
    if (!decided) fail(explainEarlyClientError(e));
  });
  socket.on("end", () => {
    if (!decided) fail(explainEarlyClientClose(buf.length));
  });
}
