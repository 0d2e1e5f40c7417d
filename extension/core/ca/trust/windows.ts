/** The Windows current-user Root store: certutil -addstore -user Root (Windows shows its own confirmation). */
import { mustRun, type RootCertificate, type TrustContext, type TrustStore } from "./types";
import { withTlsOnlyInf } from "./windowsTlsOnly";

/** The Windows user root store (Edge, Chrome, .NET, curl with schannel). */
export class WindowsRootStore implements TrustStore {
  readonly name = "windows";

  constructor(private readonly ctx: TrustContext) {}

  describe(): string {
    return "Windows current-user Root store";
  }

  async isAvailable(): Promise<boolean> {
    return this.ctx.platform === "win32";
  }

  async install(root: RootCertificate): Promise<void> {
    await mustRun(this.ctx, this.name, "certutil", ["-addstore", "-user", "-f", "Root", root.file]);
    // Trusted for TLS server authentication only (see windowsTlsOnly.ts).
    await withTlsOnlyInf(root, (inf) =>
      mustRun(this.ctx, this.name, "certutil", ["-user", "-repairstore", "Root", root.sha1, inf]),
    );
  }

  async uninstall(root: RootCertificate): Promise<void> {
    if (!(await this.isTrusted(root))) return;
    await mustRun(this.ctx, this.name, "certutil", ["-delstore", "-user", "Root", root.sha1]);
  }

  async isTrusted(root: RootCertificate): Promise<boolean> {
    const result = await this.ctx.runner.run("certutil", ["-verifystore", "-user", "Root", root.sha1]);
    return result.code === 0;
  }
}
