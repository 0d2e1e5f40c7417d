/**
 * Under WSL: the Windows user's Root store, through interop (certutil.exe), so Windows browsers
 * trust a proxy running on the Linux side. The root file's Windows path comes from wslpath -w.
 */
import { mustRun, type RootCertificate, type TrustContext, type TrustStore } from "./types";
import { withTlsOnlyInf } from "./windowsTlsOnly";

/** Whether `env` is a WSL session (WSL sets these for every process it starts). */
export function isWsl(env: NodeJS.ProcessEnv): boolean {
  return !!(env.WSL_DISTRO_NAME || env.WSL_INTEROP);
}

/** The Windows current-user Root store, seen from WSL. */
export class WslWindowsRootStore implements TrustStore {
  readonly name = "windows-wsl";

  constructor(private readonly ctx: TrustContext) {}

  describe(): string {
    return "Windows current-user Root store (from WSL, via certutil.exe)";
  }

  private certutil(): Promise<string | undefined> {
    return this.ctx.runner.which("certutil.exe");
  }

  async isAvailable(): Promise<boolean> {
    return this.ctx.platform === "linux" && isWsl(this.ctx.env) && !!(await this.certutil());
  }

  /** Windows browsers read this store: when it is there, leaving it untrusting is a failure. */
  isRequired(): Promise<boolean> {
    return this.isAvailable();
  }

  async install(root: RootCertificate): Promise<void> {
    const certutil = (await this.certutil()) ?? "certutil.exe";
    const windowsPath = async (file: string): Promise<string> =>
      (await mustRun(this.ctx, this.name, "wslpath", ["-w", file])).stdout.trim();
    await mustRun(this.ctx, this.name, certutil, ["-user", "-addstore", "Root", await windowsPath(root.file)]);
    // Trusted for TLS server authentication only (see windowsTlsOnly.ts).
    await withTlsOnlyInf(root, async (inf) =>
      mustRun(this.ctx, this.name, certutil, ["-user", "-repairstore", "Root", root.sha1, await windowsPath(inf)]),
    );
  }

  async uninstall(root: RootCertificate): Promise<void> {
    if (!(await this.isTrusted(root))) return;
    await mustRun(this.ctx, this.name, (await this.certutil()) ?? "certutil.exe", [
      "-user",
      "-delstore",
      "Root",
      root.sha1,
    ]);
  }

  async isTrusted(root: RootCertificate): Promise<boolean> {
    const certutil = await this.certutil();
    if (!certutil) return false;
    return (await this.ctx.runner.run(certutil, ["-user", "-verifystore", "Root", root.sha1])).code === 0;
  }
}
