/**
 * The connection records the panel holds: a bounded log (oldest dropped first), a text filter and a
 * pause switch. The handshakes view renders `shown`, which is newest first and already filtered.
 * A record arrives when its connection's handshake completes and again as it changes (requests,
 * close): a record whose id is already held replaces it in place, keeping its row.
 */
import type { RecordView } from "./protocol";

/** Enough history to scroll back through a busy session without letting memory grow unbounded. */
export const MAX_RECORDS = 10_000;

const haystacks = new WeakMap<RecordView, string>();

function haystack(r: RecordView): string {
  let s = haystacks.get(r);
  if (s === undefined) {
    s = [
      r.sni,
      r.client,
      r.local,
      r.interfaceName,
      r.protocol,
      r.alpnOffered.join(" "),
      r.alpn,
      r.tlsVersion,
      r.cipher,
      r.certificate,
      r.route,
      r.outcome,
      r.ok ? "ok" : "failed",
    ]
      .filter(Boolean)
      .join("\u0000")
      .toLowerCase();
    haystacks.set(r, s);
  }
  return s;
}

/** Every whitespace-separated term must appear somewhere in the record (case-insensitive). */
export function matches(r: RecordView, terms: string[]): boolean {
  const s = haystack(r);
  return terms.every((t) => s.includes(t));
}

export class RecordLog {
  /** Oldest first, as received. */
  private all: RecordView[] = [];
  private readonly byId = new Map<number, RecordView>();
  private terms: string[] = [];
  /** Newest first, filtered; frozen while paused. */
  shown: RecordView[] = [];
  /** Records received since the pause began (they are in the log, not yet shown). */
  pending = 0;
  paused = false;

  constructor(private readonly capacity = MAX_RECORDS) {}

  get size(): number {
    return this.all.length;
  }

  /**
   * Adds a batch (records already held are updated in place); returns how many rows were put in
   * front of the shown list (0 while paused).
   */
  add(records: RecordView[], reset = false): number {
    if (reset) {
      this.all = [];
      this.byId.clear();
      this.pending = 0;
    }
    const incoming: RecordView[] = [];
    let updated = false;
    for (const r of records) {
      if (this.replace(r)) updated = true;
      else incoming.push(r);
    }
    if (updated && this.terms.length > 0 && !this.paused) {
      // An update can make a record match the filter, or stop matching it.
      for (const r of incoming) this.keep(r);
      this.evict();
      this.recompute();
      return 0;
    }
    if (incoming.length > this.capacity) incoming.splice(0, incoming.length - this.capacity);
    for (const r of incoming) this.keep(r);
    const evicted = this.evict();
    if (reset) {
      this.recompute();
      return 0;
    }
    if (this.paused) {
      this.pending += incoming.length;
      return 0;
    }
    if (evicted.length > 0) {
      // The log evicts in arrival order, so evicted rows are exactly a tail of `shown`.
      const gone = new Set(evicted);
      while (this.shown.length > 0 && gone.has(this.shown[this.shown.length - 1]!)) this.shown.pop();
    }
    const fresh: RecordView[] = [];
    for (let i = incoming.length - 1; i >= 0; i--) {
      if (this.terms.length === 0 || matches(incoming[i]!, this.terms)) fresh.push(incoming[i]!);
    }
    if (fresh.length > 0) this.shown = fresh.concat(this.shown);
    return fresh.length;
  }

  /** Replaces the held record with r's id, in the log and among the shown rows; false when none is held. */
  private replace(r: RecordView): boolean {
    const old = this.byId.get(r.id);
    if (!old) return false;
    this.byId.set(r.id, r);
    const at = this.all.lastIndexOf(old);
    if (at >= 0) this.all[at] = r;
    const shownAt = this.shown.indexOf(old);
    if (shownAt >= 0) this.shown[shownAt] = r;
    return true;
  }

  private keep(r: RecordView): void {
    this.all.push(r);
    this.byId.set(r.id, r);
  }

  private evict(): RecordView[] {
    if (this.all.length <= this.capacity) return [];
    const evicted = this.all.splice(0, this.all.length - this.capacity);
    for (const r of evicted) if (this.byId.get(r.id) === r) this.byId.delete(r.id);
    return evicted;
  }

  setFilter(text: string): void {
    this.terms = text.toLowerCase().split(/\s+/).filter(Boolean);
    this.recompute();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) {
      this.pending = 0;
      this.recompute();
    }
  }

  find(id: number | undefined): RecordView | undefined {
    return id === undefined ? undefined : this.byId.get(id);
  }

  private filterAll(): RecordView[] {
    const out: RecordView[] = [];
    for (let i = this.all.length - 1; i >= 0; i--) {
      const r = this.all[i]!;
      if (this.terms.length === 0 || matches(r, this.terms)) out.push(r);
    }
    return out;
  }

  private recompute(): void {
    this.shown = this.filterAll();
  }
}
