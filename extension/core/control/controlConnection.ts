/**
 * One client connection of the control socket: request lines in (bounded in length), replies out
 * in request order, and its limits: the server refuses connections beyond {@link MAX_CONNECTIONS},
 * and one that holds nothing is closed after {@link IDLE_TIMEOUT_MS} of silence. What a line means
 * is the server's business (controlServer.ts).
 */
import type net from "node:net";
import type { ControlErrorCode, ControlReply } from "./protocol";

/** The longest request line accepted; a client sending more is cut off. */
const MAX_LINE = 64 * 1024;

/**
 * Connections served at once. Each is a file descriptor and some memory; run and the extension
 * need one each, so a client opening thousands is refused rather than allowed to exhaust them.
 */
export const MAX_CONNECTIONS = 256;

/**
 * A connection that holds no route and no reservation is closed after this long without a
 * request. One holding a route stays however long it is silent: that is `switchyard run`.
 */
export const IDLE_TIMEOUT_MS = 60_000;

/** One error line, then the connection is closed (also when the client never reads or closes). */
export function refuseAndClose(client: net.Socket, error: string, code: ControlErrorCode): void {
  client.on("error", () => {});
  client.end(`${JSON.stringify({ v: 1, id: 0, ok: false, error, code })}\n`, () => client.destroy());
}

/** What a connection asks of the server it belongs to. */
export interface ConnectionHandler {
  /** The reply to one request line; undefined sends none (the client left meanwhile). */
  answer(line: string): Promise<ControlReply | undefined>;
  /** Whether the connection holds a route or a reservation (then it is never idle-closed). */
  holdsAnything(): boolean;
  idleTimeoutMs: number;
}

/** Reads request lines from `client` and writes each reply, in order, until the connection closes. */
export function serveConnection(client: net.Socket, handler: ConnectionHandler): void {
  let answered: Promise<void> = Promise.resolve();
  let buffered = "";
  client.setEncoding("utf8");
  client.on("error", () => {});
  const { idleTimeoutMs } = handler;
  client.setTimeout(idleTimeoutMs);
  client.on("timeout", () => {
    // The timer fired once; armed again so a holder that later loses its names is timed too.
    if (handler.holdsAnything()) client.setTimeout(idleTimeoutMs);
    else refuseAndClose(client, `closed after ${idleTimeoutMs / 1000} s without a request or a route`, "idle");
  });
  client.on("data", (chunk: string) => {
    if (client.writableEnded) return; // refused or closed: what else arrives is not read
    buffered += chunk;
    if (buffered.length > MAX_LINE && !buffered.includes("\n")) {
      refuseAndClose(client, "request line too long", "bad-request");
      return;
    }
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      // A request may wait (for the peer process); a reply never overtakes an earlier one.
      if (line)
        answered = answered.then(async () => {
          const reply = await handler.answer(line);
          if (reply && !client.destroyed) client.write(`${JSON.stringify(reply)}\n`);
        });
    }
  });
}
