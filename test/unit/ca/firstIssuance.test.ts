/**
 * What makes the first handshake for a never-seen name fast (issue 15 item 2): leaf keys made
 * ahead of time (each used once), a TLS context that already holds its key, and the disk copy
 * written after the leaf is handed out. Checked with a real TLS handshake against the root.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import tls from "node:tls";
import { createCa, LocalCa } from "../../../extension/core/ca/index";
import { completeContext, LeafKeyPool, prepareLeafKey } from "../../../extension/core/ca/keyPool";
import { tempDir } from "./realClients";

async function freshCa(
  options: Partial<Parameters<typeof LocalCa.open>[0]> = {},
): Promise<{ ca: LocalCa; dir: string }> {
  const dir = join(tempDir("first"), "ca");
  await createCa({ dir });
  return { ca: await LocalCa.open({ dir, ...options }), dir };
}

/** Handshakes with a server that presents `context`, asserts the client verified it against `rootPem`; returns the leaf. */
async function handshakeWith(context: tls.SecureContext, name: string, rootPem: string): Promise<X509Certificate> {
  const server = tls.createServer({ SNICallback: (_servername, cb) => cb(null, context) });
  server.on("secureConnection", (s) => s.end());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const port = (server.address() as { port: number }).port;
    const socket = tls.connect({ host: "127.0.0.1", port, servername: name, ca: rootPem });
    await once(socket, "secureConnect");
    assert.equal(socket.authorized, true);
    const cert = socket.getPeerX509Certificate()!;
    socket.destroy();
    return cert;
  } finally {
    server.close();
  }
}

/** Handshakes with a server whose SNI callback asks the CA, the way the proxy does; returns the presented leaf. */
async function handshake(ca: LocalCa, name: string): Promise<{ authorized: boolean; cert: X509Certificate }> {
  const server = tls.createServer({
    SNICallback: (servername, cb) =>
      ca.secureContextFor(servername).then(
        (context) => cb(null, context),
        (e: Error) => cb(e),
      ),
  });
  server.on("secureConnection", (s) => s.end());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const port = (server.address() as { port: number }).port;
    const socket = tls.connect({ host: "127.0.0.1", port, servername: name, ca: ca.rootPem() });
    await once(socket, "secureConnect");
    const result = { authorized: socket.authorized, cert: socket.getPeerX509Certificate()! };
    socket.destroy();
    return result;
  } finally {
    server.close();
  }
}

describe("first issuance for a new name", () => {
  it("serves a leaf made with a pre-generated key that a TLS client verifies against the root", async () => {
    const { ca } = await freshCa({ diskCache: false });
    await ca.warmUp();
    for (const name of ["one.test", "two.test", "three.test"]) {
      const { authorized, cert } = await handshake(ca, name);
      assert.equal(authorized, true, name);
      assert.ok(cert.checkHost(name));
      assert.equal(cert.fingerprint256, (await ca.leafFor(name)).fingerprint256);
    }
  });

  it("never gives two leaves the same key, pooled or not", async () => {
    const { ca } = await freshCa({ diskCache: false });
    await ca.warmUp();
    const leaves = [];
    for (let i = 0; i < 12; i++) leaves.push(await ca.issue([`n${i}.test`]));
    assert.equal(new Set(leaves.map((l) => l.keyPem)).size, 12);
    for (const leaf of leaves) assert.ok(new X509Certificate(leaf.certPem).checkPrivateKey(leaf.key));
  });

  it("takes keys from the pool and refills it in the background", async () => {
    const pool = new LeafKeyPool(3);
    await pool.filled("ecdsa");
    assert.equal(pool.readyCount("ecdsa"), 3);
    const taken = [pool.take("ecdsa"), pool.take("ecdsa")];
    assert.equal(pool.readyCount("ecdsa"), 1, "two keys left the pool");
    assert.notEqual(taken[0]!.keyPem, taken[1]!.keyPem);
    await pool.filled("ecdsa");
    assert.equal(pool.readyCount("ecdsa"), 3);
    const rsa = pool.take("rsa");
    assert.equal(rsa.key.asymmetricKeyType, "rsa", "an empty pool generates on the spot");
  });

  it("builds the context from the PEMs when this Node cannot complete a prepared one", async () => {
    const { ca } = await freshCa({ diskCache: false });
    // Node without the native setKey/setCert: prepareLeafKey leaves no context to complete.
    const leafA = await ca.issue(["a.test"]);
    const bare = { ...prepareLeafKey(leafA.key), context: undefined };
    const fromPems = completeContext(bare, leafA.chainPem, leafA.keyPem);
    assert.equal((await handshakeWith(fromPems, "a.test", ca.rootPem())).fingerprint256, leafA.fingerprint256);
    // A native setCert that throws (a changed internal) falls back the same way.
    const prepared = prepareLeafKey(leafA.key);
    assert.ok(prepared.context, "this Node prepares contexts natively");
    (prepared.context as unknown as { context: { setCert(): void } }).context.setCert = () => {
      throw new Error("changed internal");
    };
    const fallback = completeContext(prepared, leafA.chainPem, leafA.keyPem);
    assert.notEqual(fallback, prepared.context);
    assert.equal((await handshakeWith(fallback, "a.test", ca.rootPem())).fingerprint256, leafA.fingerprint256);
  });

  it("hands the new leaf out before writing its disk copy, and writes it right after", async () => {
    const { ca, dir } = await freshCa();
    const leaf = await ca.leafFor("later.test");
    const keyFile = join(dir, "leaves", "later.test-key.pem");
    assert.equal(existsSync(keyFile), false, "the handshake did not wait for the disk");
    await ca.diskWritesDone();
    assert.equal(existsSync(keyFile), true);
    const again = await LocalCa.open({ dir });
    assert.equal((await again.leafFor("later.test")).fingerprint256, leaf.fingerprint256);
  });
});
