/** Fedora/RHEL and Arch system stores (p11-kit): an anchor file, then update-ca-trust or trust extract-compat. */
import { existsSync } from "node:fs";
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

/** The OpenSSL bundles p11-kit extracts: Fedora/RHEL's, then Arch's. */
export const P11KIT_BUNDLES = ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt"];

/** The p11-kit system store used by Fedora, RHEL, openSUSE and Arch. */
export class P11KitSystemStore implements TrustStore {
  readonly name = "system-p11kit";

  constructor(private readonly ctx: TrustContext) {}

  private anchorDir(): string | undefined {
    return this.ctx.p11kitAnchorDirs.find((d) => existsSync(d));
  }

  describe(): string {
    return `Linux system store (${this.anchorDir() ?? "p11-kit anchors"})`;
  }

  async isAvailable(): Promise<boolean> {
    if (this.ctx.platform !== "linux" || !this.anchorDir()) return false;
    return !!((await this.ctx.runner.which("update-ca-trust")) ?? (await this.ctx.runner.which("trust")));
  }

  private async refresh(): Promise<void> {
    const updateCaTrust = await this.ctx.runner.which("update-ca-trust");
    if (updateCaTrust) await mustRun(this.ctx, this.name, updateCaTrust, ["extract"]);
    else await mustRun(this.ctx, this.name, "trust", ["extract-compat"]);
  }

  private file(root: RootCertificate): string {
    return join(this.anchorDir() ?? this.ctx.p11kitAnchorDirs[0] ?? "", `${root.fileBase}.pem`);
  }

  async install(root: RootCertificate): Promise<void> {
    if (!this.ctx.isPrivileged)
      throw new ElevationRequiredError(this.name, `writing ${this.file(root)} and refreshing the trust bundle`);
    await writeFile(this.file(root), root.pem, { mode: 0o644 });
    await this.refresh();
  }

  async uninstall(root: RootCertificate): Promise<void> {
    if (!existsSync(this.file(root))) return;
    if (!this.ctx.isPrivileged) throw new ElevationRequiredError(this.name, `removing ${this.file(root)}`);
    await rm(this.file(root), { force: true });
    await this.refresh();
  }

  async isTrusted(root: RootCertificate): Promise<boolean> {
    return existsSync(this.file(root));
  }

  /** openssl verify of a fresh leaf against the bundle p11-kit extracted (what curl and Python read). */
  async verify(root: RootCertificate): Promise<TrustVerdict> {
    const bundle = P11KIT_BUNDLES.find((f) => existsSync(f));
    if (!root.probe || !bundle) {
      const trusted = await this.isTrusted(root);
      return {
        trusted,
        checkedBy: "anchor file present",
        ...(trusted ? {} : { reason: "the anchor file is not there" }),
      };
    }
    return opensslVerify(this.ctx, bundle, root.probe);
  }
}
