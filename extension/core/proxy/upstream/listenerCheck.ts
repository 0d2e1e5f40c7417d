/**
 * Whose program a loopback upstream is (issue 22 item 1). Another local user can listen on a port
 * the developer's dev server left free (its ::1 twin when the server bound 127.0.0.1 only, or the
 * whole port before the server starts) and would receive the developer's requests, cookies and
 * credentials included. So before a new upstream connection to a loopback address is dialled, the
 * socket tables say who listens there: only addresses held by this user (or root) are dialled, and
 * a route whose port is held by someone else is refused with both owners named. Once per new
 * pooled connection, never per request.
 */
import net from "node:net";
import { acceptingListeners, listenersOnPort, userName, type OwnedListener } from "../../net/listenerOwners";
import { isLocalhostName } from "../../net/listenSpec";
import type { ForeignListener, SocketOwner } from "../records/explain";
import { socketAddress, UpstreamError, type UpstreamOrigin } from "./dial";

/** The route's port is held by another user: the request must not go there. */
export class OtherUsersListenerError extends UpstreamError {
  constructor(
    readonly foreign: ForeignListener[],
    readonly self: SocketOwner,
  ) {
    super(
      "UPSTREAM_OTHER_USER",
      `${foreign.map((f) => f.address).join(" and ")} held by uid ${foreign.map((f) => f.uid).join(", ")}`,
    );
    this.name = "OtherUsersListenerError";
  }
}

/** What a dial of a loopback upstream may do. */
export type ListenerVerdict =
  /** `addresses`: dial only these (held by this user); undefined: no owner is known, dial as usual. */
  { kind: "dial"; addresses?: string[] } | { kind: "refuse"; error: OtherUsersListenerError };

/** Where the socket tables come from and who "this user" is; tests inject both. */
export interface ListenerCheckDeps {
  listeners(port: number): Promise<OwnedListener[] | undefined>;
  uid: number | undefined;
}

const SYSTEM: ListenerCheckDeps = { listeners: (port) => listenersOnPort(port), uid: process.getuid?.() };

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
function isLoopbackAddress(host: string): boolean {
  const plain = host.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "");
  return plain === "::1" || (net.isIPv4(plain) && plain.startsWith("127."));
}

/** The addresses a dial of `origin` may reach on this machine, or undefined for other hosts. */
export function loopbackCandidates(origin: UpstreamOrigin): string[] | undefined {
  if (isLocalhostName(origin.host)) return ["::1", "127.0.0.1"];
  return isLoopbackAddress(origin.host) ? [origin.host] : undefined;
}

/**
 * The verdict for a new connection to `origin`: dial the candidate addresses whose listener belongs
 * to this user or root; refuse when the only listeners belong to others; dial as usual when
 * nothing listens yet (the dial then checks the address it reached, {@link checkConnected}) or
 * the OS does not say.
 */
export async function checkListeners(
  origin: UpstreamOrigin,
  deps: ListenerCheckDeps = SYSTEM,
): Promise<ListenerVerdict> {
  const candidates = loopbackCandidates(origin);
  if (!candidates || deps.uid === undefined) return { kind: "dial" };
  const listeners = await deps.listeners(origin.port);
  if (!listeners) return { kind: "dial" };
  const ours: string[] = [];
  const foreign: OwnedListener[] = [];
  for (const address of candidates) {
    const owners = acceptingListeners(listeners, address);
    if (owners.length === 0) continue;
    const others = owners.filter((l) => !trusted(l.uid, deps.uid));
    if (others.length === 0) ours.push(address);
    else foreign.push(...others.map((l) => ({ ...l, address })));
  }
  if (ours.length > 0) return { kind: "dial", addresses: ours };
  if (foreign.length > 0) return { kind: "refuse", error: await refusal(foreign, origin.port, deps.uid) };
  return { kind: "dial" };
}

/**
 * After a dial that was not narrowed by {@link checkListeners} (nothing listened then): the
 * refusal when the address it reached is held by another user, else undefined.
 */
export async function checkConnected(
  origin: UpstreamOrigin,
  connectedAddress: string,
  deps: ListenerCheckDeps = SYSTEM,
): Promise<OtherUsersListenerError | undefined> {
  if (!loopbackCandidates(origin) || deps.uid === undefined) return undefined;
  const listeners = await deps.listeners(origin.port);
  if (!listeners) return undefined;
  const others = acceptingListeners(listeners, connectedAddress).filter((l) => !trusted(l.uid, deps.uid));
  if (others.length === 0) return undefined;
  return refusal(
    others.map((l) => ({ ...l, address: connectedAddress })),
    origin.port,
    deps.uid,
  );
}

function trusted(uid: number, self: number | undefined): boolean {
  return uid === self || uid === 0;
}

async function refusal(foreign: OwnedListener[], port: number, self: number): Promise<OtherUsersListenerError> {
  const named = await Promise.all(
    foreign.map(async (f): Promise<ForeignListener> => {
      const user = await userName(f.uid);
      return { address: socketAddress(f.address, port), uid: f.uid, ...(user !== undefined ? { user } : {}) };
    }),
  );
  const selfName = await userName(self);
  return new OtherUsersListenerError(named, { uid: self, ...(selfName !== undefined ? { user: selfName } : {}) });
}
