import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { listeningSocketsOfTree, pickServedPort } from "../../../extension/core/devservers/treeSockets";
import { parseLsofListening, parseNetstatListening } from "../../../extension/core/devservers/osTables";
import { decodeProcAddress, parseProcNetTcp } from "../../../extension/core/devservers/procNet";
import { descendantsOf, parentFromProcStat } from "../../../extension/core/devservers/processTree";

const FIXTURES = join(__dirname, "..", "..", "fixtures", "devservers");
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

describe("the socket tables of each OS", () => {
  it("reads listening sockets from a captured /proc/net/tcp and tcp6 (127.0.0.1:8080, [::1]:5173, [::]:3000)", () => {
    const v4 = parseProcNetTcp(fixture("proc-net-tcp.txt"), 4, true);
    const v6 = parseProcNetTcp(fixture("proc-net-tcp6.txt"), 6, true);
    assert.ok(v4.some((s) => s.listening && s.address === "127.0.0.1" && s.port === 8080));
    assert.ok(
      v4.some((s) => !s.listening),
      "non-listening rows are read and marked",
    );
    assert.deepEqual(
      v6.filter((s) => s.listening).map((s) => `${s.address} ${s.port}`),
      ["::1 5173", ":: 3000"],
    );
    assert.ok(v4.every((s) => Number.isInteger(s.inode) && s.inode >= 0));
  });

  it("decodes addresses in either byte order and writes IPv6 the RFC 5952 way", () => {
    assert.equal(decodeProcAddress("0100007F", true), "127.0.0.1");
    assert.equal(decodeProcAddress("7F000001", false), "127.0.0.1");
    assert.equal(decodeProcAddress("00000000000000000000000001000000", true), "::1");
    assert.equal(decodeProcAddress("0000000000000000FFFF00000100007F", true), "::ffff:127.0.0.1");
    assert.equal(decodeProcAddress("B80D0120000000000000000001000000", true), "2001:db8::1");
    assert.equal(decodeProcAddress("zz", true), undefined);
  });

  it("reads lsof -F output (macOS), wildcards included", () => {
    assert.deepEqual(parseLsofListening(fixture("lsof-listen.txt")), [
      { pid: 4242, family: 4, address: "127.0.0.1", port: 5173 },
      { pid: 4242, family: 6, address: "::1", port: 5173 },
      { pid: 4250, family: 6, address: "::", port: 3000 },
      { pid: 4250, family: 4, address: "0.0.0.0", port: 9229 },
    ]);
  });

  it("reads netstat -ano output (Windows), whatever language the state column is in", () => {
    const rows = parseNetstatListening(fixture("netstat-ano.txt"));
    assert.deepEqual(
      rows.map((r) => `${r.pid} ${r.address} ${r.port}`),
      ["1044 0.0.0.0 135", "7312 127.0.0.1 5173", "7312 ::1 5173", "7400 :: 3000"],
    );
  });

  it("walks a process tree and reads the parent from /proc/PID/stat even when the name has ') ('", () => {
    assert.equal(parentFromProcStat("123 (a) (b) S 77 123 123 0 -1"), 77);
    assert.deepEqual(
      descendantsOf(1, [
        { pid: 2, ppid: 1 },
        { pid: 3, ppid: 2 },
        { pid: 4, ppid: 9 },
        { pid: 5, ppid: 3 },
      ]),
      [1, 2, 3, 5],
    );
  });

  it("picks the port it gave the server when used, else the lowest one that is not a debugger", () => {
    const s = (port: number) => ({ pid: 1, family: 4 as const, address: "127.0.0.1", port });
    assert.equal(pickServedPort([s(9229), s(5173), s(24678)], 24678), 24678);
    assert.equal(pickServedPort([s(9229), s(5173), s(24678)], 4000), 5173);
    assert.equal(pickServedPort([s(9229)]), undefined);
  });
});

describe("finding the ports a real process tree listens on (Linux /proc)", () => {
  it("finds a grandchild's listener on ::1 and its pid, and nothing of other processes", async (t) => {
    if (process.platform !== "linux") return t.skip("reads /proc");
    // sh -> node (the server): the listener belongs to a descendant, not to the process we started.
    const child = spawn(
      "sh",
      [
        "-c",
        `"${process.execPath}" -e 'const s=require("net").createServer().listen(0,"::1",()=>console.log(s.address().port))'; true`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const wrapper = spawn("sh", ["-c", "sleep 30"], { stdio: "ignore" });
    try {
      const [line] = (await once(child.stdout!, "data")) as [Buffer];
      const port = Number(line.toString().trim());
      const sockets = await listeningSocketsOfTree(child.pid!);
      assert.deepEqual(
        sockets.map((s) => ({ family: s.family, address: s.address, port: s.port })),
        [{ family: 6, address: "::1", port }],
      );
      const holder = sockets[0]?.pid;
      assert.ok(
        holder !== undefined && holder !== child.pid,
        "the listener is held by the shell's child, not the shell",
      );
      assert.deepEqual(await listeningSocketsOfTree(wrapper.pid!), [], "a tree without listeners has none");
    } finally {
      // The server is the shell's child and holds our stdout pipe: end it before the shell.
      spawnSync("pkill", ["-P", String(child.pid)]);
      child.kill();
      wrapper.kill();
    }
  });
});
