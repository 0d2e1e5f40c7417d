import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { sameProgramAncestors, upstreamCandidates } from "../../../extension/core/net/upstreamCandidates";
import { onlyOn } from "../requirements";

describe("what Add Route offers as upstreams", () => {
  const ports = [
    { port: 22, address: "0.0.0.0", process: "sshd", pid: 10 },
    { port: 53, address: "127.0.0.53", process: "systemd-resolve", pid: 11 },
    { port: 3000, address: "127.0.0.1", process: "node", pid: 20 },
    { port: 4000, address: "0.0.0.0", process: "python3", pid: 21 },
    { port: 5000, address: "::1", process: "ruby", pid: 22 },
    { port: 6000, address: "127.0.0.1" },
    { port: 7000, address: "127.0.0.1", process: "node", pid: 30 },
    { port: 8443, address: "127.0.0.1", process: "code", pid: 31 },
    { port: 5432, address: "127.0.0.1", process: "dockerd", pid: 40 },
  ];

  it("lists the window's servers first, then the user's others at the address each bound, without VS Code, the proxy or system sockets", () => {
    const { window, other } = upstreamCandidates(ports, {
      window: [{ port: 7000, pid: 30, upstream: "http://127.0.0.1:7000", label: "Vite" }],
      hiddenPids: new Set([31]),
      hiddenPorts: new Set([8443]),
    });
    assert.deepEqual(
      window.map((c) => [c.label, c.upstream]),
      [["Vite", "http://127.0.0.1:7000"]],
    );
    assert.deepEqual(
      other.map((c) => [c.label, c.upstream]),
      [
        ["node", "http://127.0.0.1:3000"],
        ["python3", "http://127.0.0.1:4000"],
        ["ruby", "http://[::1]:5000"],
      ],
    );
  });

  it("never offers a port the proxy itself listens on, even one detection reported", () => {
    const { window } = upstreamCandidates([], {
      window: [{ port: 8443, pid: 1, upstream: "http://127.0.0.1:8443", label: "Switchyard" }],
      hiddenPids: new Set(),
      hiddenPorts: new Set([8443]),
    });
    assert.deepEqual(window, []);
  });
});

describe("VS Code's own processes", () => {
  it(
    "are this process and the ancestors running the same program, not a parent running another",
    { skip: onlyOn("linux") },
    async () => {
      // A child of this Node that is the same program: its set holds itself and this process.
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
      try {
        await once(child, "spawn");
        assert.ok(child.pid);
        const set = sameProgramAncestors(child.pid);
        assert.ok(set.has(child.pid) && set.has(process.pid), [...set].join(","));
        assert.ok(!set.has(1));
      } finally {
        child.kill();
        await once(child, "exit");
      }
    },
  );
});
