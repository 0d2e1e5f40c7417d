/**
 * Bindings: one net.Server per concrete address (a spec like `localhost:8443` stands for
 * 127.0.0.1 and ::1), each reported as a {@link BindingRecord}, listening or failed with the
 * reason in words.
 */
import net from "node:net";
import { explainListenError } from "../../net/listenErrors";
import type { ListenAddress } from "../../net/types";
import { explainListenerFailure } from "../records/explain";
import type { BindingRecord } from "../records/records";

/** A bound (or failed) listen address and its server. */
export interface Binding {
  record: BindingRecord;
  /** The port asked for (0 in tests, where the record shows the port the OS picked). */
  requestedPort: number;
  server?: net.Server;
  /** Sockets accepted here and still open, so stop() can end them. */
  sockets: Set<net.Socket>;
}

/** Identifies a listen address across settings updates. */
export function bindingKey(a: { address: string; port: number }, role: BindingRecord["role"]): string {
  return `${role}|${a.address}|${a.port}`;
}

/**
 * Binds one address; never rejects (a failure is a failed binding record). A server that fails
 * after it was bound (accept failed, e.g. out of file descriptors) stops accepting, its record
 * turns failed with the reason, and `onFailed` is called so the views can be told.
 */
export async function bind(
  address: ListenAddress,
  role: BindingRecord["role"],
  onSocket: (socket: net.Socket, binding: Binding) => void,
  onFailed: (binding: Binding) => void = () => {},
): Promise<Binding> {
  const record: BindingRecord = {
    spec: address.spec,
    address: address.address,
    family: address.family,
    port: address.port,
    role,
    state: "listening",
  };
  if (address.interfaceName !== undefined) record.interfaceName = address.interfaceName;
  if (address.wildcard)
    record.warning = `${address.address} accepts connections from every network this machine is on, exposing the dev app; bind 127.0.0.1 or localhost unless that is intended`;
  const binding: Binding = { record, requestedPort: address.port, sockets: new Set() };
  const server = net.createServer({ noDelay: true });
  server.on("connection", (socket) => {
    binding.sockets.add(socket);
    socket.once("close", () => binding.sockets.delete(socket));
    onSocket(socket, binding);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(
        { host: address.address, port: address.port, ipv6Only: address.family === 6, backlog: 1024 },
        () => {
          server.off("error", reject);
          resolve();
        },
      );
    });
  } catch (e) {
    const explained = await explainListenError(e, { address: address.address, port: address.port });
    record.state = "failed";
    // One sentence: what happened, then what to do.
    record.reason = explained.fix ? `${explained.message}: ${explained.fix}` : explained.message;
    return binding;
  }
  record.port = (server.address() as net.AddressInfo).port;
  binding.server = server;
  server.on("error", (e) => {
    if (record.state !== "listening") return;
    const where = address.family === 6 ? `[${address.address}]:${record.port}` : `${address.address}:${record.port}`;
    record.state = "failed";
    record.reason = explainListenerFailure(e, where).explanation;
    // Not left half-alive: a failed binding is bound again by the next start or settings change.
    server.close();
    onFailed(binding);
  });
  return binding;
}

/** Stops accepting; open connections are left to finish unless `endSockets`, which ends them (and destroys them after `graceMs`). */
export async function unbind(binding: Binding, endSockets: boolean, graceMs = 2000): Promise<void> {
  const server = binding.server;
  binding.record.state = binding.record.state === "failed" ? "failed" : "closed";
  if (!server) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  if (endSockets) {
    for (const s of binding.sockets) s.end();
    const timer = setTimeout(() => {
      for (const s of binding.sockets) s.destroy();
    }, graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }
}
