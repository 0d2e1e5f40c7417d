/**
 * When a wildcard route's names share one wildcard leaf (ca/wildcardLeaf.ts, proxy/accept/leafName.ts):
 * only where Chromium would accept the wildcard (something between it and a registry, counting an
 * unknown top-level label as one), only for names exactly one label under it, and only when the CA
 * may issue it. The premise, that the development suffixes are in no public suffix list, is checked
 * against the list Debian ships (package publicsuffix) when it is installed.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { DEFAULT_PERMITTED_NAMES } from "../../../extension/core/ca/constraints";
import { browsersAcceptWildcard, wildcardCovers } from "../../../extension/core/ca/wildcardLeaf";
import { leafNameFor } from "../../../extension/core/proxy/accept/leafName";
import { need } from "../requirements";

const PUBLIC_SUFFIX_LIST = "/usr/share/publicsuffix/public_suffix_list.dat";

describe("wildcard leaves browsers accept", () => {
  it("accepts a wildcard one label or more below a development suffix", () => {
    for (const pattern of ["*.shop.test", "*.App.Localhost", "*.a.b.internal", "*.printer.local", "*.nas.home.arpa"])
      assert.equal(browsersAcceptWildcard(pattern), true, pattern);
  });

  it("refuses a wildcard on a suffix itself, on a single label, or under a suffix it cannot vouch for", () => {
    for (const pattern of [
      "*.test",
      "*.localhost",
      "*.local",
      "*.internal",
      "*.home.arpa",
      "*.arpa",
      "*.dev",
      "*.co.uk", // a registry: only the public suffix list says so
      "*.corp.example",
      "*.shop..test",
      "*.*.shop.test",
      "shop.test",
      "*",
    ])
      assert.equal(browsersAcceptWildcard(pattern), false, pattern);
  });

  it("covers exactly one label", () => {
    assert.equal(wildcardCovers("*.shop.test", "a.shop.test"), true);
    assert.equal(wildcardCovers("*.shop.test", "A.Shop.Test."), true);
    assert.equal(wildcardCovers("*.shop.test", "shop.test"), false);
    assert.equal(wildcardCovers("*.shop.test", "a.b.shop.test"), false);
    assert.equal(wildcardCovers("*.shop.test", "ashop.test"), false);
    assert.equal(wildcardCovers("*.shop.test", "*.shop.test"), false);
    assert.equal(wildcardCovers("shop.test", "shop.test"), false);
  });

  it("no development suffix is in the public suffix list, so Chromium counts each as an unknown registry", (t) => {
    if (
      !need(
        t,
        existsSync(PUBLIC_SUFFIX_LIST) ? undefined : `${PUBLIC_SUFFIX_LIST} (apt package publicsuffix) is absent`,
      )
    )
      return;
    const listed = new Set(
      readFileSync(PUBLIC_SUFFIX_LIST, "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("//")),
    );
    assert.ok(listed.has("co.uk") && listed.has("arpa"), "the list was read");
    for (const suffix of DEFAULT_PERMITTED_NAMES) {
      assert.equal(listed.has(suffix), false, suffix);
      assert.equal(listed.has(`*.${suffix}`), false, `*.${suffix}`);
    }
  });
});

describe("which leaf a routed name gets", () => {
  const permitAll = (): undefined => undefined;

  it("the route's wildcard leaf for a name one label under an accepted wildcard route", () => {
    assert.equal(leafNameFor("a.shop.test", { host: "*.shop.test" }, permitAll), "*.shop.test");
    assert.equal(leafNameFor("b.shop.test", { host: "*.Shop.test" }, permitAll), "*.shop.test");
  });

  it("its own leaf under *.test or *.localhost routes, for exact routes, and for deeper names", () => {
    assert.equal(leafNameFor("a.test", { host: "*.test" }, permitAll), "a.test");
    assert.equal(leafNameFor("a.localhost", { host: "*.localhost" }, permitAll), "a.localhost");
    assert.equal(leafNameFor("api.shop.test", { host: "api.shop.test" }, permitAll), "api.shop.test");
    assert.equal(leafNameFor("a.b.shop.test", { host: "*.shop.test" }, permitAll), "a.b.shop.test");
    assert.equal(leafNameFor("a.shop.test", undefined, permitAll), "a.shop.test");
  });

  it("its own leaf when the CA may not issue the wildcard", () => {
    const refuseWildcards = (name: string): string | undefined =>
      name.startsWith("*.") ? "outside this CA's name constraints" : undefined;
    assert.equal(leafNameFor("a.shop.test", { host: "*.shop.test" }, refuseWildcards), "a.shop.test");
  });
});
