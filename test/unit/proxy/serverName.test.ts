import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readServerName } from "../../../extension/core/proxy/accept/serverName";

const latin1 = fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code));

describe("readServerName (the SNI a ClientHello carries, as the proxy uses it)", () => {
  it("gives one spelling per host: lower case, one trailing dot dropped", () => {
    for (const sent of ["app.test", "APP.Test", "app.test.", "App.Test."])
      assert.deepEqual(readServerName(sent), { name: "app.test" }, JSON.stringify(sent));
    assert.deepEqual(readServerName("localhost"), { name: "localhost" });
    assert.deepEqual(readServerName("127.0.0.1"), { name: "127.0.0.1" });
  });

  it("refuses what is no host name, showing it as a printable JSON string", () => {
    const cases: [string, string][] = [
      [" app.test", '" app.test"'],
      ["app.test\n", '"app.test\\n"'],
      ["app.test\u0000", '"app.test\\u0000"'],
      ["app.test\u009b2J", '"app.test\\u009b2J"'],
      ["app.test..", '"app.test.."'],
      [".", '"."'],
      ["", '""'],
      ["*.app.test", '"*.app.test"'],
      ["a_b.test", '"a_b.test"'],
      ["::1", '"::1"'],
      ["-app.test", '"-app.test"'],
      [`${"a".repeat(64)}.test`, JSON.stringify(`${"a".repeat(64)}.test`)],
    ];
    for (const [sent, shown] of cases) assert.deepEqual(readServerName(sent), { refused: shown }, JSON.stringify(sent));
  });

  it("never lets a control character, space or path separator through, and shows at most 80 characters", () => {
    fc.assert(
      // The parser reads the name's bytes as latin1: every byte value is one character.
      fc.property(fc.string({ unit: latin1, maxLength: 300 }), (sent) => {
        const reading = readServerName(sent);
        if ("name" in reading) {
          assert.match(reading.name, /^[a-z0-9.-]{1,253}$/);
        } else {
          // eslint-disable-next-line no-control-regex -- control characters are what this looks for
          assert.doesNotMatch(reading.refused, /[\u0000-\u001f\u007f-\u009f]/);
          assert.ok(reading.refused.length <= 2 + 6 * 81, String(reading.refused.length));
        }
      }),
    );
  });
});
