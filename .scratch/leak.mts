import { fork } from "node:child_process";
import { once } from "node:events";
import https from "node:https";
import path from "node:path";
const env = process.env.TUNE === "0" ? { ...process.env } : { ...process.env, MALLOC_ARENA_MAX: "2", MALLOC_TRIM_THRESHOLD_: "131072", MALLOC_MMAP_THRESHOLD_: "65536" };
const child = fork(path.resolve("test/unit/proxy/loadProxyProcess.ts"), ["load.test"], { execArgv: ["--expose-gc", "--import", "tsx"], env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
const [ready] = (await once(child, "message")) as any;
const rss = async () => { child.send({ cmd: "rss" }); for (;;) { const [m] = (await once(child, "message")) as any; if (m.kind === "rss") return m; } };
const req = (p: string) => new Promise<void>((res, rej) => { const r = https.get({ host: "127.0.0.1", port: ready.port, servername: "load.test", headers: { host: "load.test" }, path: p, ca: ready.rootPem, agent: false }, (s) => { s.resume(); s.on("end", res); }); r.on("error", rej); });
const total = Number(process.argv[2] ?? 8000);
for (let i = 0; i <= total; i++) {
  if (i % 2000 === 0) { const m = await rss(); console.log(i, "anon MB", (m.rssAnon / 1048576).toFixed(1), "heap", (m.heapUsed / 1048576).toFixed(1), "ext", (m.external / 1048576).toFixed(1), JSON.stringify(m.resources)); }
  await req(`/x/${i}`);
}
child.kill(); process.exit(0);
