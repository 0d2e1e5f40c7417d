/**
 * The tests' one openssl certificate helper: self-signed certificates made with the `openssl` CLI
 * (for test servers), and a test-only {@link LeafSource}: a throwaway root in a temp dir and leaves
 * signed by it on demand (node:crypto makes the keys). The source refuses names ending in `.com`,
 * the way the real CA's name constraints refuse production names.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import type { IssuedLeaf, LeafSource } from "../../../extension/core/ca/types";
import { NameNotPermittedError } from "../../../extension/core/ca/types";

/**
 * `openssl req -x509`: a self-signed P-256 certificate in `dir` as `<base>.pem`, its key as
 * `<base>.key`; `extensions` are `-addext` values (e.g. "subjectAltName=DNS:a.test").
 */
export function opensslSelfSigned(
  dir: string,
  base: string,
  subject: string,
  extensions: string[],
  days = 2,
): { keyPath: string; certPath: string } {
  const keyPath = path.join(dir, `${base}.key`);
  const certPath = path.join(dir, `${base}.pem`);
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  args.push("-keyout", keyPath, "-out", certPath, "-subj", subject, "-days", String(days));
  for (const e of extensions) args.push("-addext", e);
  execFileSync("openssl", args, { stdio: "ignore" });
  return { keyPath, certPath };
}

/** Issues leaves from a temp root; call dispose() to delete the directory. */
export class OpensslLeafSource implements LeafSource {
  readonly dir = mkdtempSync(path.join(tmpdir(), "switchyard-test-ca-"));
  private readonly root: string;
  private readonly leaves = new Map<string, Promise<IssuedLeaf>>();
  private readonly contexts = new Map<string, tls.SecureContext>();
  issued = 0;

  constructor() {
    opensslSelfSigned(this.dir, "root", "/CN=Switchyard Test Root", [
      "basicConstraints=critical,CA:TRUE",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    this.root = readFileSync(path.join(this.dir, "root.pem"), "utf8");
  }

  rootPem(): string {
    return this.root;
  }

  refusalFor(name: string): string | undefined {
    return name.endsWith(".com") ? "outside the test CA's permitted names" : undefined;
  }

  leafFor(name: string): Promise<IssuedLeaf> {
    const refusal = this.refusalFor(name);
    if (refusal) return Promise.reject(new NameNotPermittedError(name, refusal));
    let leaf = this.leaves.get(name);
    if (!leaf) {
      leaf = Promise.resolve().then(() => this.issue(name));
      this.leaves.set(name, leaf);
    }
    return leaf;
  }

  async secureContextFor(name: string): Promise<tls.SecureContext> {
    const leaf = await this.leafFor(name);
    let context = this.contexts.get(name);
    if (!context) {
      context = tls.createSecureContext({ cert: leaf.chainPem, key: leaf.keyPem });
      this.contexts.set(name, context);
    }
    return context;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private issue(name: string): IssuedLeaf {
    this.issued++;
    const base = path.join(this.dir, `leaf-${this.issued}`);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    writeFileSync(`${base}.key`, keyPem);
    const san = net.isIP(name) ? `IP:${name}` : `DNS:${name}`;
    writeFileSync(`${base}.ext`, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
    execFileSync("openssl", ["req", "-new", "-key", `${base}.key`, "-subj", `/CN=${name}`, "-out", `${base}.csr`], {
      stdio: "ignore",
    });
    execFileSync(
      "openssl",
      [
        "x509",
        "-req",
        "-in",
        `${base}.csr`,
        "-CA",
        path.join(this.dir, "root.pem"),
        "-CAkey",
        path.join(this.dir, "root.key"),
        "-set_serial",
        `0x${randomBytes(8).toString("hex")}`,
        "-days",
        "2",
        "-extfile",
        `${base}.ext`,
        "-out",
        `${base}.pem`,
      ],
      { stdio: "ignore" },
    );
    const certPem = readFileSync(`${base}.pem`, "utf8");
    const x509 = new X509Certificate(certPem);
    return {
      names: [name],
      certPem,
      chainPem: certPem,
      keyPem,
      keyType: "ecdsa",
      fingerprint256: x509.fingerprint256,
      subject: x509.subject,
      issuer: x509.issuer,
      notBefore: new Date(x509.validFrom),
      notAfter: new Date(x509.validTo),
    };
  }
}
