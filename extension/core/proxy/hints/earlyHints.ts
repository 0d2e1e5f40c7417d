/**
 * 103 Early Hints (RFC 8297) for a navigation over h2: the page's learned subresources
 * (pageGraph.ts) as `Link` preloads, sent before the dev server's answer, so the browser asks for
 * the whole module graph at once instead of level by level. Chromium honours a 103 only on h2 and
 * HTTP/3 and only the first one a navigation gets, so a dev server that sends its own 103 keeps it:
 * once a page's upstream has sent one, its navigations wait for it and the learned links are added
 * to that one instead (duplicates left out). On with `switchyard.proxy.earlyHints: true`.
 *
 * Off by default, for what the bench measured: Chromium reuses a hinted response only when it is
 * cacheable, and Vite sends `no-cache` with an ETag, so each hinted module is fetched twice (the
 * hint, then the page's revalidation, a 304); the page still discovers its imports level by
 * level, and on a 2-core machine the extra requests cost about what the head start saves.
 */
import type http2 from "node:http2";
import type { LearnedLink, LinkKind, Navigation } from "./pageGraph";

/**
 * Bytes of Link values per 103 at most: Node refuses a header block over 64 KiB
 * (maxSendHeaderBlockLength), and the block also carries the dev server's own fields.
 */
export const MAX_LINK_BYTES = 48 * 1024;

/**
 * Links per 103 at most. Chromium fails a page's own requests with ERR_INSUFFICIENT_RESOURCES when
 * a renderer has too many requests outstanding: 1,000 hinted modules (each fetched by the hint,
 * then revalidated by the page) broke loads of the 1,000-module bench app, so the hints name the
 * first paths the page asked for (its entry modules and the first levels of its graph).
 */
export const MAX_HINTS = 256;

const ATTRIBUTES: Record<LinkKind, string> = {
  // A module script is fetched in CORS mode: modulepreload is its preload (and its cache entry).
  module: "rel=modulepreload",
  script: "rel=preload; as=script",
  style: "rel=preload; as=style",
  font: "rel=preload; as=font; crossorigin",
  image: "rel=preload; as=image",
};

/** One Link value per path (RFC 8288), up to MAX_LINK_BYTES in all; paths that need escaping are left out. */
export function linkValues(links: LearnedLink[], except?: Set<string>): string[] {
  const out: string[] = [];
  let bytes = 0;
  for (const l of links) {
    // A path as the proxy received it (:path) has no spaces or controls; `<`, `>` and `,` would
    // need escaping in a Link header, and such a path is not worth the risk of a misread hint.
    if (!/^\/[\x21-\x7e]*$/.test(l.path) || /[<>,"]/.test(l.path) || except?.has(l.path)) continue;
    const value = `<${l.path}>; ${ATTRIBUTES[l.kind]}`;
    bytes += value.length + 2;
    if (bytes > MAX_LINK_BYTES || out.length >= MAX_HINTS) break;
    out.push(value);
  }
  return out;
}

/** The URLs a Link header value names (`<...>` references), for leaving out duplicates. */
export function linkedPaths(value: string | string[] | undefined): Set<string> {
  const paths = new Set<string>();
  for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value])
    for (const m of v.matchAll(/<([^>]*)>/g)) paths.add(m[1]!);
  return paths;
}

/**
 * One navigation's hints on one h2 stream: sends the learned links at once, or (for a page whose
 * dev server sends its own 103) adds them to the first upstream 103 relayed.
 */
export class NavigationHints {
  private pending: LearnedLink[];
  private upstreamSent = false;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly navigation: Navigation,
  ) {
    this.pending = navigation.links;
  }

  /** Sends the learned links now, unless the dev server's own 103 is expected (it sent one last time). */
  start(): void {
    if (this.navigation.upstreamHints || this.pending.length === 0) return;
    const values = linkValues(this.pending);
    this.pending = [];
    if (values.length === 0 || this.stream.headersSent || this.stream.destroyed) return;
    try {
      this.stream.additionalHeaders({ ":status": 103, link: values });
    } catch {
      // Advisory (RFC 8297): a hint that cannot be sent changes nothing about the response.
    }
  }

  /** The upstream's 103 as h2 headers, about to be relayed: the learned links are added to the first. */
  upstreamHints(headers: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders {
    if (!this.upstreamSent) this.navigation.setUpstreamHints(true);
    this.upstreamSent = true;
    if (this.pending.length === 0) return headers;
    const own = headers.link as string | string[] | undefined;
    const values = linkValues(this.pending, linkedPaths(own));
    this.pending = [];
    if (values.length === 0) return headers;
    return { ...headers, link: [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), ...values] };
  }

  /** The final response came: a dev server that sent no 103 this time is not waited for next time. */
  finalResponse(): void {
    if (!this.upstreamSent && this.navigation.upstreamHints) this.navigation.setUpstreamHints(false);
  }
}
