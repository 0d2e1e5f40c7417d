import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseWebviewMessage } from "../../../webview/protocol";

describe("messages from the panel webview", () => {
  it("accepts each well-formed message", () => {
    assert.deepEqual(parseWebviewMessage({ type: "ready" }), { type: "ready" });
    assert.deepEqual(parseWebviewMessage({ type: "recheckTrust" }), { type: "recheckTrust" });
    assert.deepEqual(parseWebviewMessage({ type: "checkClients" }), { type: "checkClients" });
    assert.deepEqual(parseWebviewMessage({ type: "action", action: "trustCa" }), { type: "action", action: "trustCa" });
    assert.deepEqual(parseWebviewMessage({ type: "addMapping", name: "a.test", addresses: ["127.0.0.1"] }), {
      type: "addMapping",
      name: "a.test",
      addresses: ["127.0.0.1"],
    });
    assert.deepEqual(parseWebviewMessage({ type: "probe", url: "https://a.test" }), {
      type: "probe",
      url: "https://a.test",
    });
  });

  it("rejects unknown types, unknown actions, wrong field types and oversized fields", () => {
    for (const bad of [
      null,
      "ready",
      42,
      { type: "rm -rf" },
      { type: "action", action: "deleteEverything" },
      { type: "addMapping", name: 5, addresses: [] },
      { type: "addMapping", name: "a.test", addresses: "127.0.0.1" },
      { type: "addMapping", name: "a.test", addresses: new Array(100).fill("127.0.0.1") },
      { type: "removeMapping" },
      { type: "probe", url: "x".repeat(5000) },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
    }
  });

  it("never throws, whatever arrives", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        parseWebviewMessage(value);
        parseWebviewMessage({ type: "addMapping", name: value, addresses: value });
        parseWebviewMessage({ type: "action", action: value });
      }),
      { numRuns: 2000 },
    );
  });
});
