/** Shapes shared by the network inspection code and the proxy's listeners. */

/** One concrete socket address a listen spec stands for. */
export interface ListenAddress {
  /** The spec as the user wrote it, e.g. `localhost:8443` or `lo:8443`. */
  spec: string;
  address: string;
  family: 4 | 6;
  port: number;
  /** The network interface that carries the address (`lo`, `eth0`), when it is on this machine; `*` for a wildcard. */
  interfaceName?: string;
  /** A wildcard (0.0.0.0, ::) exposes the app to every network this machine is on. */
  wildcard: boolean;
}

/** A listen spec that cannot be turned into addresses, with the reason in words. */
export class ListenSpecError extends Error {
  constructor(
    readonly spec: string,
    reason: string,
  ) {
    super(`listen spec "${spec}": ${reason}`);
    this.name = "ListenSpecError";
  }
}
