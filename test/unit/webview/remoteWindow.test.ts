/**
 * What Switchyard says about a remote window, from what VS Code reports in each kind. The
 * code-server values are the ones measured in this project's e2e workbench (the VS Code server of
 * code-server 4.139.1 opened in Chromium): remoteName is the whole authority, uiKind web, and
 * asExternalUri(http://127.0.0.1:8443/x) is http://127.0.0.1:PORT/proxy/8443/x.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type * as vscode from "vscode";
import {
  browserUrl,
  describeWindow,
  hostsNote,
  routesNotice,
  trustConfirmation,
  trustNotice,
  type WindowEnv,
} from "../../../extension/vscode/remoteWindow";

const desktop = (remoteName?: string): WindowEnv => ({
  remoteName,
  uiKind: 1,
  appName: "Visual Studio Code",
  appHost: "desktop",
});
const codeServer = (authority: string): WindowEnv => ({
  remoteName: authority,
  uiKind: 2,
  appName: "code-server",
  appHost: "server-distro",
});

/** A stand-in for vscode.Uri with what browserUrl reads (toString(true)); parse keeps the text. */
const parse = (value: string): vscode.Uri => ({ toString: () => value }) as unknown as vscode.Uri;
const forwardTo = (map: (url: string) => string) => async (uri: vscode.Uri) => parse(map(uri.toString()));

describe("remote windows", () => {
  it("a local desktop window changes this computer and says nothing", () => {
    const w = describeWindow(desktop());
    assert.equal(w.kind, "local");
    assert.equal(routesNotice(w), undefined);
    assert.equal(trustNotice(w), undefined);
    assert.equal(trustConfirmation(w), undefined);
    assert.equal(hostsNote(w), "");
  });

  it("names the machine in SSH, WSL and dev container windows", () => {
    assert.equal(describeWindow(desktop("ssh-remote")).machine, "the SSH host");
    assert.equal(describeWindow(desktop("wsl")).kind, "wsl");
    assert.equal(describeWindow(desktop("dev-container")).kind, "container");
    assert.equal(describeWindow(desktop("attached-container")).kind, "container");
  });

  it("over SSH, Trust Local CA asks first and says the browser on your computer will not trust the root", () => {
    const confirm = trustConfirmation(describeWindow(desktop("ssh-remote")));
    assert.ok(confirm);
    assert.match(confirm.message, /SSH host/);
    assert.match(confirm.detail, /browser on your computer will not/);
    assert.match(hostsNote(describeWindow(desktop("ssh-remote"))), /not of your computer/);
  });

  it("in WSL, trust needs no extra question (the Windows store is done too) but the hosts file is the distribution's", () => {
    const w = describeWindow(desktop("wsl"));
    assert.equal(trustConfirmation(w), undefined);
    assert.match(hostsNote(w), /Windows hosts file/);
    assert.match(routesNotice(w) ?? "", /localhost/);
  });

  it("code-server opened at a loopback address: the browser runs on the same machine, so routes open directly", async () => {
    const w = describeWindow(codeServer("127.0.0.1:33059"));
    assert.equal(w.kind, "browser");
    assert.equal(w.browserHere, true);
    assert.match(
      routesNotice(w) ?? "",
      /code-server in a browser, with the browser on the same machine .*: routes open directly/,
    );
    assert.match(trustNotice(w) ?? "", /your browser uses these trust stores/);
    assert.equal(trustConfirmation(w), undefined);
    const opened = await browserUrl(
      "https://shop.test:8443/",
      w,
      forwardTo(() => "unused"),
      parse,
    );
    assert.deepEqual(opened, { url: "https://shop.test:8443/" });
  });

  it("code-server reached from another machine: no URL through its /proxy/PORT/ path, and the way to get one", async () => {
    const w = describeWindow(codeServer("devbox.example:8080"));
    assert.equal(w.browserHere, false);
    assert.ok(trustConfirmation(w));
    const forwarded = forwardTo((u) =>
      u.replace(/^https?:\/\/localhost:(\d+)\//, "http://devbox.example:8080/proxy/$1/"),
    );
    const opened = await browserUrl("https://shop.test:8443/app", w, forwarded, parse);
    assert.equal(opened.url, undefined);
    assert.match(opened.note ?? "", /http:\/\/devbox\.example:8080\/proxy\/8443\//);
    assert.match(opened.note ?? "", /ssh -L 8443:127\.0\.0\.1:8443/);
    assert.match(opened.note ?? "", /https:\/\/shop\.localhost:8443\/app/);
  });

  it("over SSH, the forwarded local port replaces the proxy's port and the name is kept", async () => {
    const w = describeWindow(desktop("ssh-remote"));
    const forwarded = forwardTo((u) => u.replace(":8443/", ":50123/"));
    assert.deepEqual(await browserUrl("https://shop.localhost:8443/a?b=1", w, forwarded, parse), {
      url: "https://shop.localhost:50123/a?b=1",
      note: undefined,
    });
    const named = await browserUrl("https://shop.test:8443/", w, forwarded, parse);
    assert.equal(named.url, "https://shop.test:50123/");
    assert.match(named.note ?? "", /shop\.test must resolve to 127\.0\.0\.1 on your computer/);
  });
});
