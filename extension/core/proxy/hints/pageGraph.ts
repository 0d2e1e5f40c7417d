/**
 * What each page's last loads fetched, learned from the requests the proxy forwards, so the next
 * navigation to that page can name them in a 103 Early Hints before the dev server has answered
 * (earlyHints.ts). A page load is a navigation (Sec-Fetch-Mode: navigate, Sec-Fetch-Dest:
 * document) and every same-origin subresource reached from it by Referer: a module script's
 * imports carry the importing module's URL as their Referer, so the closure from the page's URL is
 * the page's module graph, even with several pages or tabs on one connection.
 *
 * Stale entries cost at most a wasted request and go away: a path the page stopped asking for
 * (an import removed, an HMR `?t=` version replaced) is dropped after MAX_MISSES loads that did not
 * ask for it. The browser's fetches of the hinted paths themselves (the first request for a hinted
 * path in a hinted load) are not learned as the page's own, or a path once hinted would be hinted
 * forever. Nothing is served from here: the browser still asks the dev server, which answers with
 * its current module (a 304 for the copy the hint fetched, when its ETag still matches).
 */

/** What a 103's Link says the browser should fetch a path as: taken from the request's Sec-Fetch-*. */
export type LinkKind = "module" | "script" | "style" | "font" | "image";

/** A path (with its query) the page fetched, and how. */
export interface LearnedLink {
  path: string;
  kind: LinkKind;
}

/** The request fields the graph reads (lower-case h2 header names). */
export interface RequestFacts {
  method: string;
  /** :authority, as the page's URL names its origin. */
  authority: string;
  path: string;
  secFetchMode?: string;
  secFetchDest?: string;
  referer?: string;
}

/** Loads a page without asking for a learned path before it is dropped. */
export const MAX_MISSES = 2;
/** How long after its navigation a load still collects subresources. */
export const LOAD_WINDOW_MS = 30_000;
/** Links per page at most (a 103 carries them all in one header block). */
export const MAX_LINKS = 1500;
/** Pages remembered at most; the least recently loaded goes first. */
export const MAX_PAGES = 200;

interface PageMemory {
  links: Map<string, { kind: LinkKind; misses: number }>;
  load: PageLoad | undefined;
  /** The page's dev server sent its own 103 on its last load. */
  upstreamHints: boolean;
}

/** A navigation seen: what to hint, and whether to wait for the dev server's own 103. */
export interface Navigation {
  links: LearnedLink[];
  upstreamHints: boolean;
  /** Records whether the dev server sent its own 103 this time. */
  setUpstreamHints(sent: boolean): void;
}

interface PageLoad {
  page: string;
  authority: string;
  started: number;
  /** Paths of this load (the page and what it reached): a Referer among them attributes a request. */
  reached: Set<string>;
  /** Asked for by the page itself (not a hint's fetch), in order. */
  asked: Map<string, LinkKind>;
  /** Hinted paths whose first request (the hint's own fetch) has not come yet. */
  hintPending: Set<string>;
}

/** The learned graphs of every page the proxy has seen loading (one per proxy). */
export class PageGraph {
  /** By page key (upstream origin, authority, path). */
  private readonly pages = new Map<string, PageMemory>();
  /** Loads still collecting, newest last. */
  private open: PageLoad[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * A request the proxy forwards to `originKey`. For a navigation, returns what to hint (the
   * page's learned subresources, possibly none) and starts a new load; for a subresource of an
   * open load, learns it; otherwise returns undefined.
   */
  observe(originKey: string, request: RequestFacts): Navigation | undefined {
    if (request.method !== "GET") return undefined;
    const t = this.now();
    this.open = this.open.filter((l) => t - l.started <= LOAD_WINDOW_MS);
    if (request.secFetchMode === "navigate") {
      if (request.secFetchDest !== "document") return undefined;
      return this.navigation(`${originKey} ${request.authority} ${request.path}`, request, t);
    }
    this.subresource(request);
    return undefined;
  }

  /** The links a navigation to this page would be hinted now (for tests and the bench). */
  linksFor(originKey: string, authority: string, path: string): LearnedLink[] {
    const memory = this.pages.get(`${originKey} ${authority} ${path}`);
    return memory ? [...memory.links].map(([p, l]) => ({ path: p, kind: l.kind })) : [];
  }

  private navigation(key: string, request: RequestFacts, t: number): Navigation {
    let memory = this.pages.get(key);
    if (memory) {
      this.commit(memory);
      this.pages.delete(key); // re-inserted below: the map's order is recency
    } else memory = { links: new Map(), load: undefined, upstreamHints: false };
    this.pages.set(key, memory);
    if (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
    const hinted = [...memory.links].map(([path, l]) => ({ path, kind: l.kind }));
    const load: PageLoad = {
      page: request.path,
      authority: request.authority,
      started: t,
      reached: new Set([request.path]),
      asked: new Map(),
      hintPending: new Set(hinted.map((l) => l.path)),
    };
    memory.load = load;
    this.open.push(load);
    const page = memory;
    return {
      links: hinted,
      upstreamHints: page.upstreamHints,
      setUpstreamHints: (sent) => {
        page.upstreamHints = sent;
      },
    };
  }

  /** The page's last load replaces what was learned: asked-for paths kept, the rest missed once more. */
  private commit(memory: PageMemory): void {
    const load = memory.load;
    if (!load) return;
    memory.load = undefined;
    this.open = this.open.filter((l) => l !== load);
    const links = new Map<string, { kind: LinkKind; misses: number }>();
    for (const [path, kind] of load.asked) if (links.size < MAX_LINKS) links.set(path, { kind, misses: 0 });
    for (const [path, old] of memory.links)
      if (!links.has(path) && old.misses + 1 < MAX_MISSES && links.size < MAX_LINKS)
        links.set(path, { kind: old.kind, misses: old.misses + 1 });
    memory.links = links;
  }

  private subresource(request: RequestFacts): void {
    const kind = linkKind(request.secFetchDest, request.secFetchMode);
    const from = request.referer === undefined ? undefined : refererPath(request.referer, request.authority);
    if (!kind || from === undefined) return;
    for (let i = this.open.length - 1; i >= 0; i--) {
      const load = this.open[i]!;
      if (load.authority !== request.authority || !load.reached.has(from)) continue;
      load.reached.add(request.path);
      // The first request for a hinted path, from the page itself, is the hint's own fetch.
      if (from === load.page && load.hintPending.delete(request.path)) return;
      if (!load.asked.has(request.path)) load.asked.set(request.path, kind);
      return;
    }
  }
}

/** How a request's Sec-Fetch-Dest and -Mode say it was fetched; undefined for what a 103 cannot name. */
export function linkKind(dest: string | undefined, mode: string | undefined): LinkKind | undefined {
  switch (dest) {
    case "script":
      return mode === "cors" ? "module" : "script";
    case "style":
      return "style";
    case "font":
      return "font";
    case "image":
      return "image";
    default:
      return undefined;
  }
}

/** The path and query of a same-origin Referer (https, the same authority); undefined otherwise. */
export function refererPath(referer: string, authority: string): string | undefined {
  const prefix = `https://${authority}`;
  if (!referer.startsWith(prefix)) return undefined;
  const rest = referer.slice(prefix.length);
  if (rest === "") return "/";
  if (rest[0] !== "/") return undefined;
  const hash = rest.indexOf("#");
  return hash === -1 ? rest : rest.slice(0, hash);
}
