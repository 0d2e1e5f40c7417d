/** The macOS login keychain: security add-trusted-cert (asks for the user's password, not root). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mustRun, type RootCertificate, type TrustContext, type TrustStore, type TrustVerdict } from "./types";

/** The user's login keychain on macOS, trusted for SSL. */
export class MacOsKeychainStore implements TrustStore {
  readonly name = "macos";

  constructor(private readonly ctx: TrustContext) {}

  private keychain(): string {
    return join(this.ctx.home, "Library", "Keychains", "login.keychain-db");
  }

  describe(): string {
    return `macOS login keychain (${this.keychain()})`;
  }

  async isAvailable(): Promise<boolean> {
    return this.ctx.platform === "darwin";
  }

  async install(root: RootCertificate): Promise<void> {
    await mustRun(this.ctx, this.name, "security", [
      "add-trusted-cert",
      "-r",
      "trustRoot",
      "-p",
      "ssl",
      "-k",
      this.keychain(),
      root.file,
    ]);
  }

  async uninstall(root: RootCertificate): Promise<void> {
    if (!(await this.isTrusted(root))) return;
    await mustRun(this.ctx, this.name, "security", ["remove-trusted-cert", root.file]);
    await mustRun(this.ctx, this.name, "security", ["delete-certificate", "-Z", root.sha1, this.keychain()]);
  }

  async isTrusted(root: RootCertificate): Promise<boolean> {
    const found = await this.ctx.runner.run("security", ["find-certificate", "-a", "-Z", this.keychain()]);
    return found.code === 0 && found.stdout.toUpperCase().includes(root.sha1);
  }

  /**
   * `security verify-cert` of a fresh leaf with the SSL policy and its host name: the keychain's
   * trust settings decide, as for Safari and Chrome (-L: no network fetches).
   */
  async verify(root: RootCertificate): Promise<TrustVerdict> {
    if (!root.probe) {
      const trusted = await this.isTrusted(root);
      return {
        trusted,
        checkedBy: "security find-certificate",
        ...(trusted ? {} : { reason: "the root is not in the login keychain" }),
      };
    }
    const dir = mkdtempSync(join(tmpdir(), "switchyard-keychain-check-"));
    try {
      const leaf = join(dir, "leaf.pem");
      writeFileSync(leaf, root.probe.leafPem);
      const chain = ["-c", leaf];
      if (root.probe.intermediatePem.trim()) {
        writeFileSync(join(dir, "intermediate.pem"), root.probe.intermediatePem);
        chain.push("-c", join(dir, "intermediate.pem"));
      }
      const r = await this.ctx.runner.run("security", [
        "verify-cert",
        ...chain,
        "-p",
        "ssl",
        "-s",
        root.probe.name,
        "-L",
        "-q",
      ]);
      const checkedBy = "security verify-cert -p ssl with a fresh leaf";
      if (r.code === 0) return { trusted: true, checkedBy };
      return {
        trusted: false,
        checkedBy,
        reason: `the keychain does not trust it for SSL: ${(r.stderr || r.stdout).trim()}`,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
