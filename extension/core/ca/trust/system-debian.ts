/** The Debian/Ubuntu system store: a .crt in /usr/local/share/ca-certificates, then update-ca-certificates. */
import { existsSync, readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { opensslVerify } from "./opensslVerify";
import {
  ElevationRequiredError,
  mustRun,
  type RootCertificate,
  type TrustContext,
  type TrustStore,
  type TrustVerdict,
} from "./types";

/** The Debian/Ubuntu system trust store (curl, wget, git, Python, Go, Chromium without NSS, …). */
export class DebianSystemStore implements TrustStore {
  readonly name = "system-debian";

  constructor(private readonly ctx: TrustContext) {}

  describe(): string {
    return `Linux system store (${this.ctx.debianCertDir}, update-ca-certificates)`;
  }

  private file(root: RootCertificate): string {
    return join(this.ctx.debianCertDir, `${root.fileBase}.crt`);
  }

  async isAvailable(): Promise<boolean> {
    return this.ctx.platform === "linux" && existsSync(this.ctx.debianCertDir) && !!(await this.tool());
  }

  private tool(): Promise<string | undefined> {
    return this.ctx.runner.which("update-ca-certificates");
  }

  private requirePrivilege(action: string, root: RootCertificate): void {
    if (!this.ctx.isPrivileged) {
      throw new ElevationRequiredError(this.name, `${action} ${this.file(root)} and running update-ca-certificates`);
    }
  }

  async install(root: RootCertificate): Promise<void> {
    this.requirePrivilege("writing", root);
    await writeFile(this.file(root), root.pem, { mode: 0o644 });
    await mustRun(this.ctx, this.name, (await this.tool()) ?? "update-ca-certificates", []);
  }

  async uninstall(root: RootCertificate): Promise<void> {
    if (!existsSync(this.file(root))) return;
    this.requirePrivilege("removing", root);
    await rm(this.file(root), { force: true });
    // --fresh rebuilds every hash link, so the removed root's link cannot linger.
    await mustRun(this.ctx, this.name, (await this.tool()) ?? "update-ca-certificates", ["--fresh"]);
  }

  async isTrusted(root: RootCertificate): Promise<boolean> {
    if (!existsSync(this.file(root))) return false;
    try {
      const body = root.pem.replace(/-----[A-Z ]+-----|\s/g, "");
      return readFileSync(this.ctx.debianBundle, "utf8").replace(/\s/g, "").includes(body);
    } catch {
      return false;
    }
  }

  /** openssl verify of a fresh leaf against the bundle update-ca-certificates wrote. */
  async verify(root: RootCertificate): Promise<TrustVerdict> {
    if (!root.probe) {
      const trusted = await this.isTrusted(root);
      const checkedBy = `root present in ${this.ctx.debianBundle}`;
      return { trusted, checkedBy, ...(trusted ? {} : { reason: `the root is not in ${this.ctx.debianBundle}` }) };
    }
    return opensslVerify(this.ctx, this.ctx.debianBundle, root.probe);
  }
}
