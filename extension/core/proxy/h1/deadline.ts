/**
 * A re-armable timeout for the per-request deadlines of a keep-alive connection (idle client,
 * upstream response). One timer per connection, created on first use and re-armed with
 * `refresh()`, instead of a setTimeout and clearTimeout for every request.
 */

/** Calls `onExpire` once `ms` pass after the latest {@link arm} without a {@link disarm}. */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private armed = false;

  constructor(
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {}

  /** Starts (or restarts) the countdown. */
  arm(): void {
    this.armed = true;
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(this.fire, this.ms);
      this.timer.unref();
    }
  }

  /** Starts the countdown unless it is already running (a deadline from the first byte, not the last). */
  armOnce(): void {
    if (!this.armed) this.arm();
  }

  /** Stops the countdown; the timer object stays for the next arm (a stale expiry is ignored). */
  disarm(): void {
    this.armed = false;
  }

  /** Frees the timer: the connection is gone. */
  dispose(): void {
    this.armed = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    if (!this.armed) return;
    this.armed = false;
    this.onExpire();
  };
}
