/**
 * The page graph behind 103 Early Hints (proxy/hints/): what a page's loads fetched, attributed by
 * Referer, and how stale entries go away. Pure: requests are the fields a browser sends.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAX_MISSES, PageGraph, refererPath, type RequestFacts } from "../../../extension/core/proxy/hints/pageGraph";
import { linkValues, linkedPaths, MAX_HINTS, MAX_LINK_BYTES } from "../../../extension/core/proxy/hints/earlyHints";

const ORIGIN = "http://127.0.0.1:5173";
const HOST = "app.test:8443";
const URL = `https://${HOST}`;

const navigate = (path = "/"): RequestFacts => ({
  method: "GET",
  authority: HOST,
  path,
  secFetchMode: "navigate",
  secFetchDest: "document",
});
const module = (path: string, from: string): RequestFacts => ({
  method: "GET",
  authority: HOST,
  path,
  secFetchMode: "cors",
  secFetchDest: "script",
  referer: `${URL}${from}`,
});

/** One page load: the navigation, then each [path, referer path] in order. */
function load(graph: PageGraph, requests: [string, string][], page = "/"): string[] {
  const nav = graph.observe(ORIGIN, navigate(page));
  assert.ok(nav, "a navigation is recognised");
  for (const [path, from] of requests) graph.observe(ORIGIN, module(path, from));
  return nav.links.map((l) => l.path);
}

const APP: [string, string][] = [
  ["/@vite/client", "/"],
  ["/main.js", "/"],
  ["/src/a.js", "/main.js"],
  ["/src/b.js", "/main.js"],
  ["/src/leaf.js", "/src/a.js"],
];

describe("page graph for early hints", () => {
  it("hints nothing on a page's first load, then the modules its last load reached by Referer", () => {
    const graph = new PageGraph();
    assert.deepEqual(load(graph, APP), []);
    assert.deepEqual(load(graph, []), ["/@vite/client", "/main.js", "/src/a.js", "/src/b.js", "/src/leaf.js"]);
    assert.deepEqual(
      graph.linksFor(ORIGIN, HOST, "/").map((l) => l.kind),
      ["module", "module", "module", "module", "module"],
    );
  });

  it("learns nothing from requests no load of the page reached (another origin's Referer, no Referer)", () => {
    const graph = new PageGraph();
    graph.observe(ORIGIN, navigate());
    graph.observe(ORIGIN, { ...module("/x.js", "/"), referer: "https://elsewhere.test/" });
    graph.observe(ORIGIN, { ...module("/y.js", "/"), referer: undefined });
    graph.observe(ORIGIN, module("/z.js", "/not-reached.js"));
    graph.observe(ORIGIN, { ...module("/data.json", "/"), secFetchDest: "empty" });
    assert.deepEqual(load(graph, []), []);
  });

  it("does not re-learn the hint's own fetch, and drops a removed import after MAX_MISSES loads", () => {
    const graph = new PageGraph();
    load(graph, APP);
    // The hinted load: the browser fetches every hint from the page (Referer: the page), then the
    // page asks for what it still imports; /src/b.js was removed from main.js.
    const hintFetches: [string, string][] = APP.map(([p]) => [p, "/"]);
    const still = APP.filter(([p]) => p !== "/src/b.js");
    let hinted = load(graph, [...hintFetches, ...still]);
    assert.ok(hinted.includes("/src/b.js"));
    for (let i = 1; i < MAX_MISSES; i++) {
      hinted = load(graph, [...hinted.map((p): [string, string] => [p, "/"]), ...still]);
      assert.ok(hinted.includes("/src/b.js"), `still hinted after ${i} miss(es)`);
    }
    hinted = load(graph, [...hinted.map((p): [string, string] => [p, "/"]), ...still]);
    assert.ok(!hinted.includes("/src/b.js"), "dropped");
    assert.ok(hinted.includes("/src/leaf.js"));
  });

  it("keeps an HMR ?t= version the reloaded page imports, and keys pages by path and origin", () => {
    const graph = new PageGraph();
    load(graph, [...APP, ["/src/a.js?t=123", "/main.js"]]);
    assert.ok(load(graph, []).includes("/src/a.js?t=123"));
    assert.deepEqual(load(graph, [], "/other"), []);
    assert.equal(graph.observe("http://127.0.0.1:9999", navigate())?.links.length, 0);
  });

  it("reads a same-origin Referer as a path with its query and without its fragment", () => {
    assert.equal(refererPath(`${URL}/a.js?x=1#f`, HOST), "/a.js?x=1");
    assert.equal(refererPath(URL, HOST), "/");
    assert.equal(refererPath(`${URL}0/a.js`, HOST), undefined);
    assert.equal(refererPath(`http://${HOST}/a.js`, HOST), undefined);
  });

  it("writes Link values per kind, leaves out paths a Link cannot carry as is, and caps their number", () => {
    assert.deepEqual(
      linkValues([
        { path: "/m.js", kind: "module" },
        { path: "/s.css", kind: "style" },
        { path: "/f.woff2", kind: "font" },
        { path: "/a>b.js", kind: "module" },
      ]),
      [
        "</m.js>; rel=modulepreload",
        "</s.css>; rel=preload; as=style",
        "</f.woff2>; rel=preload; as=font; crossorigin",
      ],
    );
    const many = Array.from({ length: 5000 }, (_, i) => ({ path: `/src/leaf${i}.js`, kind: "module" as const }));
    const values = linkValues(many);
    assert.equal(values.length, MAX_HINTS);
    assert.ok(values.join(", ").length <= MAX_LINK_BYTES);
    assert.deepEqual([...linkedPaths(["</a.js>; rel=preload, </b.css>; rel=preload"])], ["/a.js", "/b.css"]);
  });
});
