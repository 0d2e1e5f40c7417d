/**
 * Reusable buffers for the bytes an h2 stream sends on from a plain upstream. Those arrive as
 * views of the pool's shared 1 MiB read buffer (upstreamConnection.ts), which the next read overwrites,
 * so they must be copied before Node's http2 queues them. A fresh Buffer per read cost a 100 MiB
 * download 100 new 1 MiB allocations: page faults on every one, and a full GC of the proxy thread
 * every ~30 MB for the external memory (3-6 per download, measured with --trace-gc). Copies into
 * a few kept buffers cost neither.
 */

/** One copy: `data` is valid until {@link Lease.release}, after which the buffer is reused. */
export interface Lease {
  readonly data: Buffer;
  /** Marks one more write that reads `data`; call the returned function when it completes. */
  hold(): () => void;
  /** No more writes will be added; the buffer returns to the pool once every held write completed. */
  seal(): void;
}

/**
 * Buffers of `size` bytes, at most `keep` of them idle. Only chunks of at least `minPooled` bytes
 * use one: a stream of small reads (server-sent events, a slow chunked response) to a client that
 * has stopped reading queues many writes before backpressure stops the upstream, and each would
 * otherwise hold a whole buffer.
 */
export class CopyPool {
  private readonly idle: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
    private readonly minPooled: number,
  ) {}

  /** Buffers waiting for reuse (for tests). */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Copies `chunk`; a chunk smaller than `minPooled` or larger than the buffers gets a buffer of its own size. */
  copy(chunk: Buffer): Lease {
    const pooled = chunk.length >= this.minPooled && chunk.length <= this.size;
    const owned = pooled ? (this.idle.pop() ?? Buffer.allocUnsafe(this.size)) : undefined;
    const data = owned ? owned.subarray(0, chunk.copy(owned)) : Buffer.from(chunk);
    let holds = 0;
    let sealed = false;
    let returned = false;
    const giveBack = (): void => {
      if (returned || !sealed || holds > 0 || !owned) return;
      returned = true;
      if (this.idle.length < this.keep) this.idle.push(owned);
    };
    return {
      data,
      hold: () => {
        holds++;
        let done = false;
        return () => {
          if (done) return;
          done = true;
          holds--;
          giveBack();
        };
      },
      seal: () => {
        sealed = true;
        giveBack();
      },
    };
  }
}
