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

  const fail = (error: string, explanation: string, stage: "sniff" | "handshake" = "sniff"): void => {
    decided = true;
    clearTimeout(timer);
    socket.off("data", onData);
    rec.setOutcome({ kind: "failed", stage, error, explanation });
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
      return fail(
        "UNKNOWN_PROTOCOL",
        "unknown protocol: the first bytes are neither a TLS ClientHello nor an HTTP request",
      );
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
      return fail(
        `CLIENT_HELLO_${parsed.error.code.toUpperCase().replace(/-/g, "_")}`,
        `not a usable TLS ClientHello: ${parsed.error.message}`,
        "handshake",
      );
    }
    rec.mark("clientHello");
    rec.record.clientHello = summarizeClientHello(parsed.hello);
    handOver();
    continueTls(socket, buf, parsed.hello, ctx, rec, h2).catch((e: unknown) => {
      rec.setOutcome({
        kind: "failed",
        stage: "handshake",
        error: "INTERNAL",
        explanation: `Switchyard failed to continue the handshake: ${String(e)}`,
      });
      socket.destroy();
    });
  };

  const timer = setTimeout(() => {
    if (decided) return;
    const what =
      buf.length === 0
        ? "sent nothing"
        : rec.record.protocol === "tls"
          ? `sent only ${buf.length} bytes of its ClientHello`
          : `sent only ${buf.length} bytes`;
    fail(
      "SNIFF_TIMEOUT",
      `the client connected and ${what} within ${timeoutMs} ms (switchyard.proxy.sniffTimeoutMs); closed`,
    );
  }, timeoutMs);

  socket.on("data", onData);
  socket.on("error", (e: NodeJS.ErrnoException) => {
    if (!decided)
      fail(
        e.code ?? "SOCKET_ERROR",
        `the client's connection failed before it said anything useful (${e.code ?? e.message})`,
      );
  });
  socket.on("end", () => {
    if (!decided)
      fail(
        "CLIENT_CLOSED",
        buf.length === 0
          ? "the client connected and closed without sending anything (a port check?)"
          : `the client closed after ${buf.length} bytes, before a whole request or ClientHello`,
      );
  });
}
