import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { once } from "node:events";
import { describeListenError, explainListenError } from "../../../extension/core/net/listenErrors";
import {
  findPortHolder,
  parseLsofListeners,
  parseProcNetTcp,
  parseSsListeners,
} from "../../../extension/core/net/portHolder";
import { onlyOn } from "../requirements";

/** Listens on 127.0.0.1 and returns the server and its port. */
async function listenLoopback(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer().listen({ host: "127.0.0.1", port: 0 });
  await once(server, "listening");
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Tries to listen and returns the error it fails with. */
async function listenError(host: string, port: number): Promise<NodeJS.ErrnoException> {
  const server = net.createServer();
  server.listen({ host, port });
  const [err] = (await once(server, "error")) as [NodeJS.ErrnoException];
  server.close();
  return err;
}

describe("listen errors in words", () => {
  it("names the port and this very process for a real EADDRINUSE", async () => {
    const { server, port } = await listenLoopback();
    try {
      const err = await listenError("127.0.0.1", port);
      assert.equal(err.code, "EADDRINUSE");
      const explained = await explainListenError(err, { address: "127.0.0.1", port });
      assert.equal(explained.code, "EADDRINUSE");
      assert.match(explained.message, new RegExp(`port ${port} is already in use on 127\\.0\\.0\\.1:${port}`));
      if (process.platform === "linux") {
        assert.equal(explained.holder?.pid, process.pid, "the holder is this test process");
        assert.match(explained.message, new RegExp(`\\(pid ${process.pid}\\)`));
        assert.equal(explained.message.split(`127.0.0.1:${port}`).length, 2, `the address once: ${explained.message}`);
      }
    } finally {
      server.close();
    }
  });

  it(
    "names the holder of the address that failed when 127.0.0.1 and ::1 are held by different processes",
    { skip: onlyOn("linux") },
    async () => {
      const { server, port } = await listenLoopback();
      const child = spawn(
        process.execPath,
        [
          "-e",
          `require("net").createServer().listen({ host: "::1", port: ${port}, ipv6Only: true }, () => console.log("up"))`,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      try {
        await once(child.stdout!, "data");
        for (const lookup of ["ss", "/proc"]) {
          const options = lookup === "ss" ? {} : { runner: { run: () => Promise.reject(new Error("no ss")) } };
          const v6 = await explainListenError(await listenError("::1", port), { address: "::1", port }, options);
          assert.equal(v6.holder?.pid, child.pid, `${lookup}: [::1]:${port} is the child's`);
          const v4 = await explainListenError(
            await listenError("127.0.0.1", port),
            { address: "127.0.0.1", port },
            options,
          );
          assert.equal(v4.holder?.pid, process.pid, `${lookup}: 127.0.0.1:${port} is this process's`);
        }
      } finally {
        child.kill();
        server.close();
      }
    },
  );

  it("finds the holder through /proc when ss is unavailable", { skip: onlyOn("linux") }, async () => {
    const { server, port } = await listenLoopback();
    try {
      const holder = await findPortHolder(port, { runner: { run: () => Promise.reject(new Error("no ss")) } });
      assert.deepEqual(holder, { address: "127.0.0.1", port, pid: process.pid, command: holder?.command });
      assert.ok(holder?.command, "the command name comes from /proc/PID/comm");
    } finally {
      server.close();
    }
  });

  it("explains a real EADDRNOTAVAIL as an address that is not on this machine", async () => {
    // Binding sends no packet; 10.213.255.254 is on no interface of a test machine.
    const err = await listenError("10.213.255.254", 0);
    assert.equal(err.code, "EADDRNOTAVAIL");
    const explained = await explainListenError(err, { address: "10.213.255.254", port: 8443 });
    assert.equal(
      explained.message,
      "cannot listen on 10.213.255.254:8443: 10.213.255.254 is not an address of this machine",
    );
  });

  it("explains EACCES on a low Linux port with the sysctl and the high port", () => {
    const err = Object.assign(new Error("listen EACCES: permission denied 0.0.0.0:443"), { code: "EACCES" });
    const explained = describeListenError(err, { address: "::1", port: 443 }, undefined, "linux");
    assert.match(explained.message, /cannot listen on \[::1\]:443: ports below 1024 are reserved for root on Linux/);
    assert.match(explained.fix, /sysctl net\.ipv4\.ip_unprivileged_port_start=443/);
    assert.match(explained.fix, /high port such as 8443/);
    assert.match(
      describeListenError(err, { address: "127.0.0.1", port: 8443 }, undefined, "win32").fix,
      /excludedportrange/,
    );
  });

  it("says how to find the holder when the OS does not tell", () => {
    const err = Object.assign(new Error("in use"), { code: "EADDRINUSE" });
    const explained = describeListenError(err, { address: "127.0.0.1", port: 8443 }, undefined, "linux");
    assert.match(explained.message, /the OS did not say by which process/);
    assert.match(explained.fix, /ss -ltnp 'sport = :8443'/);
  });

  it("falls back to the raw message for an error it does not know", () => {
    assert.equal(
      describeListenError(new Error("boom"), { address: "127.0.0.1", port: 1 }).message,
      "cannot listen on 127.0.0.1:1: boom",
    );
  });
});

describe("port holder parsers", () => {
  it("parses ss -ltnp lines with and without a process", () => {
    const text = [
      'LISTEN 0      511        127.0.0.1:3000       0.0.0.0:*    users:(("node",pid=4242,fd=21))',
      'LISTEN 0      4096           [::1]:8443          [::]:*    users:(("switchyard",pid=77,fd=3),("node",pid=78,fd=3))',
      "LISTEN 0      128          0.0.0.0:2024       0.0.0.0:*",
      'LISTEN 0      4096   127.0.0.53%lo:53         0.0.0.0:*    users:(("systemd-resolve",pid=600,fd=14))',
      "LISTEN 0      511                *:80               *:*",
    ].join("\n");
    assert.deepEqual(parseSsListeners(text), [
      { address: "127.0.0.1", port: 3000, command: "node", pid: 4242 },
      { address: "::1", port: 8443, command: "switchyard", pid: 77 },
      { address: "0.0.0.0", port: 2024 },
      { address: "127.0.0.53", port: 53, command: "systemd-resolve", pid: 600 },
      { address: "0.0.0.0", port: 80 },
    ]);
  });

  it("parses /proc/net/tcp and tcp6 listeners with their inodes", () => {
    const tcp = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0",
      "   1: 0100007F:0BB8 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 0 1 0000000000000000 100 0 0 10 0",
    ].join("\n");
    assert.deepEqual(parseProcNetTcp(tcp), [{ address: "127.0.0.1", port: 3000, inode: 123456 }]);
    const tcp6 = [
      "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 00000000000000000000000001000000:20FB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 98765 1 0000000000000000 100 0 0 10 0",
    ].join("\n");
    assert.deepEqual(parseProcNetTcp(tcp6), [{ address: "::1", port: 8443, inode: 98765 }]);
  });

  it("parses lsof field output", () => {
    assert.deepEqual(parseLsofListeners("p501\ncnode\nf22\nn127.0.0.1:3000\nf23\nn[::1]:3000\n"), [
      { address: "127.0.0.1", port: 3000, pid: 501, command: "node" },
      { address: "::1", port: 3000, pid: 501, command: "node" },
    ]);
  });
});
