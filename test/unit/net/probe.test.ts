import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { once } from "node:events";
import { listInterfaces } from "../../../extension/core/net/interfaces";
import { parseProbeUrl, probeUrl, ProbeUrlError, type ProbeOptions } from "../../../extension/core/net/probe";
import { probeCommand } from "../../../extension/cli/probe";
import type { CliIO } from "../../../extension/cli/command";
import { haveTool, makeSelfSignedCertificate, type TestCertificate } from "./tools";
import { unmet } from "../requirements";

const hasIpv6Loopback = listInterfaces().some((i) => i.addresses.some((a) => a.address === "::1"));
/** No DNS queries leave the machine during tests. */
const opts: ProbeOptions = { timeoutMs: 1500, resolution: { dnsResolver: false } };

async function listen(server: net.Server, host: string): Promise<number> {
  server.listen({ host, port: 0 });
  await once(server, "listening");
  return (server.address() as net.AddressInfo).port;
}

/**
 * A port that was free a moment ago: listen, note the port, close. Kept as a pick on purpose: the
 * tests using it assert that nothing listens, and Node cannot hold a TCP port bound without listening.
 */
async function freePort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s, "127.0.0.1");
  s.close();
  await once(s, "close");
  return port;
}

function cliIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd: process.cwd(),
    env: { ...process.env },
    confirm: async () => false,
    signal: new AbortController().signal,
  };
}

describe("probe", () => {
  const hasOpenssl = haveTool("openssl", ["version"]);
  let cert: TestCertificate | undefined;
  let plain: http.Server;
  let secure: http2.Http2SecureServer;
  let plainPort = 0;
  let securePort = 0;

  before(async () => {
    plain = http.createServer((req, res) => {
      if (req.url === "/old") res.writeHead(307, { Location: "https://my-awesome-service.test:8443/new" }).end();
      else res.end("hello");
    });
    plainPort = await listen(plain, "127.0.0.1");
    if (!hasOpenssl) return;
    cert = makeSelfSignedCertificate("my-awesome-service.test", "DNS:my-awesome-service.test,IP:127.0.0.1");
    secure = http2.createSecureServer({ key: cert.key, cert: cert.cert, allowHTTP1: true }, (_req, res) =>
      res.end("secure"),
    );
    securePort = await listen(secure, "127.0.0.1");
  });
  after(() => {
    plain?.close();
    secure?.close();
    cert?.cleanup();
  });

  it("parses probe URLs and refuses other schemes", () => {
    assert.deepEqual(parseProbeUrl("https://[::1]:8443/a?b=1"), {
      scheme: "https",
      host: "::1",
      port: 8443,
      path: "/a?b=1",
    });
    assert.equal(parseProbeUrl("http://x.test").port, 80);
    assert.throws(() => parseProbeUrl("ftp://x.test/"), ProbeUrlError);
    assert.throws(() => parseProbeUrl("not a url"), /is not a URL/);
  });

  it("reports a plain HTTP port and its status", async () => {
    const report = await probeUrl(`http://127.0.0.1:${plainPort}/`, opts);
    assert.equal(report.works, true);
    assert.equal(report.addresses[0]!.speaks, "http");
    assert.equal(report.addresses[0]!.http?.status, 200);
    assert.equal(report.addresses[0]!.tls?.ok, false);
    assert.equal(report.verdicts.at(-1)?.code, "works");
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report, "the report survives JSON");
  });

  it("records a redirect's Location", async () => {
    const report = await probeUrl(`http://127.0.0.1:${plainPort}/old`, opts);
    assert.equal(report.addresses[0]!.http?.location, "https://my-awesome-service.test:8443/new");
    assert.ok(
      report.verdicts.some(
        (v) =>
          v.code === "redirect" &&
          /redirects to https:\/\/my-awesome-service\.test:8443\/new \(plain HTTP is upgraded to HTTPS\)/.test(
            v.message,
          ),
      ),
    );
  });

  it("says this port speaks plain HTTP when the URL says https", async () => {
    const report = await probeUrl(`https://127.0.0.1:${plainPort}/`, opts);
    assert.equal(report.works, false);
    const v = report.verdicts.find((x) => x.code === "speaks-http-url-says-https");
    assert.match(v?.message ?? "", /this port speaks plain HTTP but the URL says https/);
  });

  it(
    "reads the TLS details and chain of a self-signed HTTPS server, and says it is not trusted",
    { skip: !hasOpenssl && "openssl missing" },
    async () => {
      const report = await probeUrl(`https://127.0.0.1:${securePort}/`, opts);
      const a = report.addresses[0]!;
      assert.equal(a.tls?.ok, true);
      assert.equal(a.tls?.alpn, "h2");
      assert.match(a.tls?.protocol ?? "", /^TLSv1\.[23]$/);
      assert.ok(a.tls?.cipher);
      assert.equal(a.https?.status, 200);
      assert.equal(a.https?.httpVersion, "HTTP/2");
      const leaf = a.tls!.chain[0]!;
      assert.equal(leaf.subject, "CN=my-awesome-service.test");
      assert.deepEqual(leaf.subjectAltNames, ["DNS:my-awesome-service.test", "IP Address:127.0.0.1"]);
      assert.equal(leaf.selfSigned, true);
      assert.match(leaf.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.ok(new Date(leaf.validTo).getTime() > Date.now());
      assert.equal(a.tls?.trusted, false);
      assert.equal(a.tls?.trustError, "DEPTH_ZERO_SELF_SIGNED_CERT");
      assert.equal(a.tls?.nameMatches, true, "the certificate has IP:127.0.0.1");
      assert.equal(report.works, false);
      assert.ok(
        report.verdicts.some(
          (v) => v.code === "certificate-untrusted" && /not trusted by this machine: it is self-signed/.test(v.message),
        ),
      );
    },
  );

  it(
    "trusts the server when its CA is given, and then the URL works",
    { skip: !hasOpenssl && "openssl missing" },
    async () => {
      const report = await probeUrl(`https://127.0.0.1:${securePort}/`, { ...opts, extraCaPem: cert!.cert });
      assert.equal(report.addresses[0]!.tls?.trusted, true);
      assert.equal(report.works, true);
    },
  );

  it("says the certificate is for another name", { skip: !hasOpenssl && "openssl missing" }, async () => {
    // A name that resolves to the one address the server bound (localhost would also try ::1, where
    // another program may hold the same port).
    const resolution = {
      ...opts.resolution,
      hostsPath: "/nonexistent",
      lookup: async () => [{ address: "127.0.0.1", family: 4 }],
    };
    const url = `https://other-name.test:${securePort}/`;
    const report = await probeUrl(url, { ...opts, resolution, extraCaPem: cert!.cert });
    assert.deepEqual(
      report.addresses.map((a) => a.address),
      ["127.0.0.1"],
    );
    const v = report.verdicts.find((x) => x.code === "certificate-wrong-name");
    assert.equal(v?.message, "the certificate is for my-awesome-service.test, 127.0.0.1, not other-name.test");
    assert.equal(report.works, false);
  });

  it("says this port speaks HTTPS when the URL says http", { skip: !hasOpenssl && "openssl missing" }, async () => {
    const report = await probeUrl(`http://127.0.0.1:${securePort}/`, opts);
    assert.equal(report.works, false);
    assert.ok(
      report.verdicts.some(
        (v) =>
          v.code === "speaks-https-url-says-http" && /this port speaks HTTPS but the URL says http/.test(v.message),
      ),
    );
  });

  it("says nothing listens on a closed port", async () => {
    const port = await freePort();
    const report = await probeUrl(`http://127.0.0.1:${port}/`, opts);
    assert.equal(report.addresses[0]!.connect.error, "ECONNREFUSED");
    assert.equal(report.addresses[0]!.speaks, "nothing");
    assert.deepEqual(
      report.verdicts.map((v) => [v.level, v.message]),
      [["error", `nothing listens on 127.0.0.1:${port}`]],
    );
  });

  it(
    "says nothing listens on ::1 when the server is on 127.0.0.1 only",
    { skip: unmet(hasIpv6Loopback ? undefined : "no ::1 on the loopback interface here") ?? false },
    async () => {
      const direct = await probeUrl(`http://[::1]:${plainPort}/`, opts);
      assert.equal(direct.works, false);
      assert.equal(direct.verdicts[0]?.message, `nothing listens on [::1]:${plainPort}`);
      // Through localhost, 127.0.0.1 still works, so ::1 is a warning: clients must fall back.
      const viaName = await probeUrl(`http://localhost:${plainPort}/`, opts);
      assert.deepEqual(viaName.addresses.map((a) => a.address).sort(), ["127.0.0.1", "::1"]);
      const warning = viaName.verdicts.find((v) => v.code === "nothing-listens");
      assert.equal(warning?.level, "warning");
      assert.match(
        warning!.message,
        new RegExp(`nothing listens on \\[::1\\]:${plainPort}; clients that try this address first must fall back`),
      );
      assert.equal(viaName.works, true);
    },
  );

  it("classifies a port that speaks neither HTTP nor TLS", async () => {
    const smtp = net.createServer((s) => s.on("error", () => undefined).end("220 mail.test ESMTP\r\n"));
    const port = await listen(smtp, "127.0.0.1");
    try {
      const report = await probeUrl(`http://127.0.0.1:${port}/`, opts);
      assert.equal(report.addresses[0]!.speaks, "unknown");
      assert.ok(report.verdicts.some((v) => v.code === "unknown-protocol"));
    } finally {
      smtp.close();
    }
  });

  describe("a server whose response never becomes one", () => {
    /**
     * A raw server that answers every connection with `behave(socket)`; its timers end with the
     * socket, and the server and every socket are closed after the test, also when it fails.
     */
    async function misbehaving(
      behave: (socket: net.Socket, every: (ms: number, f: () => void) => void) => void,
      run: (port: number) => Promise<void>,
    ): Promise<void> {
      const sockets = new Set<net.Socket>();
      const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on("error", () => undefined);
        const timers: NodeJS.Timeout[] = [];
        socket.once("close", () => {
          sockets.delete(socket);
          for (const t of timers) clearInterval(t);
        });
        behave(socket, (ms, f) => void timers.push(setInterval(() => !socket.destroyed && f(), ms)));
      });
      const port = await listen(server, "127.0.0.1");
      try {
        await run(port);
      } finally {
        for (const socket of sockets) socket.destroy();
        server.close();
      }
    }

    async function failsWith(port: number, code: string, words: RegExp): Promise<void> {
      const report = await probeUrl(`http://127.0.0.1:${port}/`, opts);
      const http = report.addresses[0]!.http!;
      assert.equal(report.works, false, JSON.stringify(http));
      assert.equal(http.kind, "error");
      assert.equal(http.error, code);
      assert.match(http.problem ?? "", words);
      const verdict = report.verdicts.find((v) => v.code === "no-final-response");
      assert.ok(verdict, JSON.stringify(report.verdicts));
      assert.match(verdict.message, words);
      const io = cliIO();
      assert.equal(await probeCommand.run([`http://127.0.0.1:${port}/`, "--timeout", "1500"], io), 1);
      assert.match(io.out.join(""), words);
      assert.match(io.out.join(""), /does not work as typed\./);
    }

    it("a head that never ends (a header line every 50 ms) fails when the probe's wait ends", async () => {
      await misbehaving(
        (socket, every) => {
          socket.write("HTTP/1.1 200 OK\r\n");
          every(50, () => socket.write("X-Still-Coming: yes\r\n"));
        },
        (port) =>
          failsWith(
            port,
            "HEAD_NOT_ENDED",
            /the response head began \("HTTP\/1\.1 200 OK"\) but did not end within 1500 ms/,
          ),
      );
    });

    it("a head larger than the probe reads fails without waiting for its end", async () => {
      await misbehaving(
        (socket) => socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(32_768)}`),
        (port) => failsWith(port, "HEAD_TOO_LARGE", /did not end within 16384 bytes/),
      );
    });

    it("a head cut off by the server closing is not an answer", async () => {
      await misbehaving(
        (socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Ty"),
        (port) => failsWith(port, "HEAD_NOT_ENDED", /did not end before the connection closed/),
      );
    });

    it("103 Early Hints without end fails at the cap", async () => {
      await misbehaving(
        (socket, every) =>
          every(10, () => socket.write("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")),
        (port) => failsWith(port, "TOO_MANY_INTERIM", /sent 10 interim responses \(1xx\) and no final response/),
      );
    });

    it("a few interim responses then silence fail with words", async () => {
      await misbehaving(
        (socket) => socket.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n"),
        (port) =>
          failsWith(
            port,
            "NO_FINAL_RESPONSE",
            /only interim responses \(2 × 1xx\) came, and no final response within 1500 ms/,
          ),
      );
    });

    it("interim responses followed by a final one still work, with the final status", async () => {
      await misbehaving(
        (socket) =>
          socket.end(
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n" +
              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
          ),
        async (port) => {
          const report = await probeUrl(`http://127.0.0.1:${port}/`, opts);
          assert.equal(report.addresses[0]!.http?.status, 200);
          assert.equal(report.works, true, JSON.stringify(report.verdicts));
        },
      );
    });
  });

  it(
    "HTTP/2: 103 Early Hints without end fail at the cap after the TLS handshake",
    { skip: !hasOpenssl && "openssl missing" },
    async () => {
      const timers = new Set<NodeJS.Timeout>();
      const hints = http2.createSecureServer({ key: cert!.key, cert: cert!.cert }, (_req, res) => {
        const timer = setInterval(() => {
          if (res.stream.destroyed) return clearInterval(timer);
          res.stream.additionalHeaders({ ":status": 103, link: "</a.css>; rel=preload" });
        }, 10);
        timers.add(timer);
        res.stream.once("close", () => clearInterval(timer));
      });
      const port = await listen(hints, "127.0.0.1");
      try {
        const report = await probeUrl(`https://127.0.0.1:${port}/`, { ...opts, extraCaPem: cert!.cert });
        const https = report.addresses[0]!.https!;
        assert.equal(report.works, false);
        assert.equal(https.kind, "error");
        assert.equal(https.error, "TOO_MANY_INTERIM");
        assert.ok(
          report.verdicts.some(
            (v) =>
              v.code === "no-final-response" && /after the TLS handshake .*sent 10 interim responses/.test(v.message),
          ),
          JSON.stringify(report.verdicts),
        );
      } finally {
        for (const timer of timers) clearInterval(timer);
        hints.close();
      }
    },
  );

  describe("credentials in the URL", () => {
    it("are masked in the report, its text and its JSON, and in a usage error", async () => {
      const url = `http://user:hunter2@127.0.0.1:${plainPort}/`;
      const report = await probeUrl(url, opts);
      assert.equal(report.url, `http://user:***@127.0.0.1:${plainPort}/`);
      const text = cliIO();
      assert.equal(await probeCommand.run([url, "--timeout", "1500"], text), 0);
      const json = cliIO();
      assert.equal(await probeCommand.run([url, "--json", "--timeout", "1500"], json), 0);
      for (const out of [text.out.join(""), json.out.join("")]) {
        assert.ok(!out.includes("hunter2"), out);
        assert.match(out, /user:\*\*\*@127\.0\.0\.1/);
      }
      await assert.rejects(probeCommand.run(["ftp://user:hunter2@x.test/"], cliIO()), (e: Error) => {
        assert.equal(e.name, "UsageError");
        assert.ok(!e.message.includes("hunter2"), e.message);
        assert.match(e.message, /ftp:\/\/user:\*\*\*@x\.test/);
        return true;
      });
    });
  });

  describe("switchyard probe", () => {
    it("exits 0 and prints words when the URL works", async () => {
      const io = cliIO();
      assert.equal(await probeCommand.run([`http://127.0.0.1:${plainPort}/`, "--timeout", "1500"], io), 0);
      assert.match(
        io.out.join(""),
        new RegExp(`127\\.0\\.0\\.1:${plainPort}  speaks plain HTTP[\\s\\S]*works as typed\\.`),
      );
    });

    it("exits 1 with --json printing the report when the URL does not work as typed", async () => {
      const port = await freePort();
      const io = cliIO();
      assert.equal(await probeCommand.run([`http://127.0.0.1:${port}/`, "--json"], io), 1);
      const report = JSON.parse(io.out.join("")) as { works: boolean; addresses: { connect: { error: string } }[] };
      assert.equal(report.works, false);
      assert.equal(report.addresses[0]!.connect.error, "ECONNREFUSED");
    });

    it("treats a bad URL or flag as usage (exit 2 via UsageError)", async () => {
      await assert.rejects(probeCommand.run(["ftp://x.test/"], cliIO()), { name: "UsageError" });
      await assert.rejects(probeCommand.run([], cliIO()), { name: "UsageError", message: "missing URL" });
      await assert.rejects(probeCommand.run(["http://x.test/", "--timeout", "soon"], cliIO()), { name: "UsageError" });
    });
  });
});
