/** NSS databases (Chromium's ~/.pki/nssdb and each Firefox profile), via certutil from libnss3-tools. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { mustRun, TrustToolMissingError, type RootCertificate, type TrustContext, type TrustStore } from "./types";

/** Where certutil comes from on each platform. */
export function certutilHint(platform: NodeJS.Platform): string {
  if (platform === "darwin") return "install it with: brew install nss";
  return "install it with: sudo apt install libnss3-tools (Fedora: sudo dnf install nss-tools; Arch: sudo pacman -S nss)";
}

/** Chromium's and Firefox's NSS certificate databases for the user. */
export class NssStore implements TrustStore {
  readonly name = "nss";

  constructor(private readonly ctx: TrustContext) {}

  describe(): string {
    return `NSS databases (Chromium, Firefox): ${this.databases().join(", ") || "none found"}`;
  }

  /** Every NSS database of the user, as certutil -d arguments ("sql:DIR" or "dbm:DIR"). */
  databases(): string[] {
    const home = this.ctx.home;
    const dbs: string[] = [];
    const pki = join(home, ".pki", "nssdb");
    if (existsSync(join(pki, "cert9.db"))) dbs.push(`sql:${pki}`);
    const profileRoots = [
      join(home, ".mozilla", "firefox"),
      join(home, "snap", "firefox", "common", ".mozilla", "firefox"),
      join(home, "Library", "Application Support", "Firefox", "Profiles"),
    ];
    for (const profiles of profileRoots) {
      let entries: string[] = [];
      try {
        entries = readdirSync(profiles);
      } catch {
        continue;
      }
      for (const p of entries) {
        const dir = join(profiles, p);
        if (existsSync(join(dir, "cert9.db"))) dbs.push(`sql:${dir}`);
        else if (existsSync(join(dir, "cert8.db"))) dbs.push(`dbm:${dir}`);
      }
    }
    return dbs;
  }

  async isAvailable(): Promise<boolean> {
    return this.databases().length > 0;
  }

  private async certutil(): Promise<string> {
    const found = (await this.ctx.runner.which("certutil")) ?? undefined;
    if (!found || this.ctx.platform === "win32")
      throw new TrustToolMissingError(this.name, "certutil", certutilHint(this.ctx.platform));
    return found;
  }

  async install(root: RootCertificate): Promise<void> {
    const certutil = await this.certutil();
    for (const db of this.databases()) {
      // "C,," trusts the root for TLS servers only, not for e-mail or code signing.
      await mustRun(this.ctx, this.name, certutil, ["-A", "-d", db, "-t", "C,,", "-n", root.nickname, "-i", root.file]);
    }
  }

  async uninstall(root: RootCertificate): Promise<void> {
    const certutil = await this.certutil();
    for (const db of this.databases()) {
      const listed = await this.ctx.runner.run(certutil, ["-L", "-d", db, "-n", root.nickname]);
      if (listed.code === 0) await mustRun(this.ctx, this.name, certutil, ["-D", "-d", db, "-n", root.nickname]);
    }
  }

  async isTrusted(root: RootCertificate): Promise<boolean> {
    const dbs = this.databases();
    if (dbs.length === 0) return false;
    let certutil: string;
    try {
      certutil = await this.certutil();
    } catch {
      return false;
    }
    for (const db of dbs) {
      const listed = await this.ctx.runner.run(certutil, ["-L", "-d", db, "-n", root.nickname]);
      if (listed.code !== 0) return false;
    }
    return true;
  }
}
