import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactUrlCredentials } from "../../extension/core/urlCredentials";
import { parseRouteFlag } from "../../extension/core/settings";
import { originOf } from "../../extension/core/proxy/upstream/dial";
import { noteDecision } from "../../extension/core/proxy/requestDecision";
import type { ConnectionRecorder } from "../../extension/core/proxy/records/connectionRecorder";
import type { ConnectionRecord } from "../../extension/core/proxy/records/records";
import { routeView } from "../../extension/vscode/views";

describe("URL credentials", () => {
  it("masks the password and keeps the user, in a URL or in a sentence", () => {
    assert.equal(redactUrlCredentials("https://user:pw@host/"), "https://user:***@host/");
    assert.equal(redactUrlCredentials("HTTP://U:P@H:3000/x"), "HTTP://U:***@H:3000/x");
    assert.equal(
      redactUrlCredentials("a -> https://a:one@h/ and http://b:two@k"),
      "a -> https://a:***@h/ and http://b:***@k",
    );
    assert.equal(redactUrlCredentials("http://localhost:3000/?next=a@b"), "http://localhost:3000/?next=a@b");
    assert.equal(redactUrlCredentials("http://user@host/"), "http://user@host/");
  });

  it("masks a password holding @ up to the host, as the URL parser reads it", () => {
    const url = "http://u:p@ss@host:3000/a?b=c@d";
    assert.equal(new URL(url).hostname, "host");
    assert.equal(redactUrlCredentials(url), "http://u:***@host:3000/a?b=c@d");
  });

  it("masks inside JSON without reaching into the next field", () => {
    const json = JSON.stringify({ upstream: "https://user:pw@host", note: "mail me@example.test" });
    assert.equal(
      redactUrlCredentials(json),
      JSON.stringify({ upstream: "https://user:***@host", note: "mail me@example.test" }),
    );
  });

  it("the upstream origin, the record's route and the views carry the masked URL; the dial keeps host and port", () => {
    const route = parseRouteFlag("secret.test=https://user:hunter2@127.0.0.1:3443/");
    const origin = originOf(route);
    assert.equal(origin.url, "https://user:***@127.0.0.1:3443/");
    assert.deepEqual([origin.host, origin.port, origin.secure], ["127.0.0.1", 3443, true]);
    const record = {} as ConnectionRecord;
    const rec = { record, setOutcome: () => undefined } as unknown as ConnectionRecorder;
    noteDecision(rec, { kind: "forward", route, origin, host: "secret.test" });
    assert.equal(record.route?.upstream, "https://user:***@127.0.0.1:3443/");
    assert.equal(routeView(route, 443).upstream, "https://user:***@127.0.0.1:3443/");
  });
});
