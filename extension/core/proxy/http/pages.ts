/**
 * The HTML pages Switchyard answers with itself: no route, upstream failures, bad requests.
 * A browser user sees what happened in words, the route list, and what to do next.
 */
import { STATUS_CODES } from "node:http";
import { messageHeadBytes, statusLine } from "./messageHead";
import { publicUrl } from "../../publicUrl";
import type { RouteSetting } from "../../settings";

/** What a page says. */
export interface PageContent {
  status: number;
  title: string;
  /** Plain words: what happened and what to do. */
  message: string;
  /** The configured routes, listed when the request matched none. */
  routes?: readonly RouteSetting[];
  /** The port the routes' links name (443: none, as with standard ports; core/publicUrl.ts). */
  routesTlsPort?: number;
  /** A body of its own instead of the HTML page (the LAN onboarding page and its root downloads). */
  body?: { contentType: string; bytes: Buffer; filename?: string };
}

/** A page as bytes ready to send, with its headers. */
export interface RenderedPage {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function routeRows(routes: readonly RouteSetting[], tlsPort: number | undefined): string {
  if (routes.length === 0)
    return "<p>No routes are configured. Add one in the <code>switchyard.proxy.routes</code> setting.</p>";
  const rows = routes
    .map((r) => {
      const host = escapeHtml(r.host + (r.pathPrefix ?? ""));
      const mode = r.passthrough ? "TLS passthrough" : r.redirect ? "https" : "http and https";
      const url = publicUrl(r.host.replace(/^\*\./, "www."), { tlsPort, standardPorts: false });
      return `<tr><td><a href="${escapeHtml(url)}">${host}</a></td><td>${escapeHtml(r.upstream)}</td><td>${mode}</td></tr>`;
    })
    .join("");
  return `<table><tr><th>Host</th><th>Upstream</th><th>Mode</th></tr>${rows}</table>`;
}

/** Renders a page as a complete HTML document, never cached. */
export function renderPage(page: PageContent): RenderedPage {
  if (page.body) {
    const { contentType, bytes, filename } = page.body;
    return {
      status: page.status,
      headers: {
        "content-type": contentType,
        "content-length": String(bytes.length),
        "cache-control": "no-store",
        ...(filename ? { "content-disposition": `attachment; filename="${filename}"` } : {}),
      },
      body: bytes,
    };
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(page.title)} - Switchyard</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46em;margin:3em auto;padding:0 1em;color:#222}
h1{font-size:1.3em}td,th{text-align:left;padding:.2em 1em .2em 0}code{background:#f3f3f3;padding:0 .2em}</style></head>
<body><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.message)}</p>
${page.routes ? `<h2>Configured routes</h2>${routeRows(page.routes, page.routesTlsPort)}` : ""}
<p><small>Answered by the Switchyard dev proxy (status ${page.status}).</small></p></body></html>\n`;
  const body = Buffer.from(html, "utf8");
  return {
    status: page.status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-length": String(body.length),
      "cache-control": "no-store",
    },
    body,
  };
}

/** An HTTP/1.1 response as bytes: status line, headers, optional `connection: close`, body. */
export function http1ResponseBytes(
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  close: boolean,
): { bytes: Buffer; headLength: number } {
  const fields: [string, string][] = Object.entries(headers);
  if (close) fields.push(["connection", "close"]);
  const head = messageHeadBytes(statusLine(status, STATUS_CODES[status] ?? ""), fields);
  return { bytes: Buffer.concat([head, body]), headLength: head.length };
}

/** A page sent as the last response on a connection (the proxy closes it afterwards). */
export function closingPageBytes(page: PageContent): Buffer {
  const r = renderPage(page);
  return http1ResponseBytes(r.status, r.headers, r.body, true).bytes;
}
