const fs = require("node:fs");
const e = require("/work/main/dist/engines.js");
(async () => {
  const ca = await e.ca.LocalCa.open({ dir: "/tmp/exp/ca", diskCache: false });
  const routes = process.env.NOROUTE ? [] : [{ host: "my-awesome-service.test", upstream: "http://127.0.0.1:9300" }];
  const settings = { proxy: { listen: ["127.0.0.1:0"], routes: routes.map((r) => ({ ...r, redirect: true, rewriteHost: false, insecureUpstream: false })), sniffTimeoutMs: 10000, redirectStatus: 307 } };
  const p = new e.DevProxy({ settings, leaves: ca, resolveListen: async (spec) => [{ spec, address: "127.0.0.1", family: 4, port: 0, wildcard: false }] });
  globalThis.P = p; const b = await p.start();
  if (b[0].state !== "listening") throw new Error(JSON.stringify(b));
  process.send({ kind: "ready", port: b[0].port, rootPem: ca.rootPem() });
})().catch((err) => { console.error(err); process.exit(1); });
process.on("message", async (m) => { if (m.cmd !== "rss") return; for (let i = 0; i < 3; i++) { globalThis.gc?.(); await new Promise((r) => setTimeout(r, 200)); }
  const kb = /^RssAnon:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/self/status", "utf8"))[1]; const mu = process.memoryUsage();
  process.send({ kind: "rss", rssAnon: Number(kb) * 1024, heapUsed: mu.heapUsed, external: mu.external, resources: { total: Math.round(mu.heapTotal/1048576), spaces: Object.fromEntries(require("node:v8").getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.physical_space_size/1048576)])), tracked: [...globalThis.P.live.values()].reduce((n, b) => n + b.sockets.size, 0), recs: globalThis.P.records.list().length } }); });
