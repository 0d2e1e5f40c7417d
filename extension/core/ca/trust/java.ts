/**
 * Java's cacerts keystore, via keytool: the JDK that JAVA_HOME names, else the one whose `java` is
 * first on PATH (what a plain `java` run reads; on Debian its cacerts links to
 * /etc/ssl/certs/java/cacerts).
 */
import { accessSync, constants, existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

/** The JDK home of the `java` first on PATH (bin/java resolved through its links), if any. */
export function javaHomeOnPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  const exe = platform === "win32" ? "java.exe" : "java";
  for (const dir of (env.PATH ?? "").split(platform === "win32" ? ";" : ":")) {
    if (!dir) continue;
    const candidate = join(dir, exe);
    if (!existsSync(candidate)) continue;
    try {
      const home = dirname(dirname(realpathSync(candidate)));
      return existsSync(join(home, "bin", platform === "win32" ? "keytool.exe" : "keytool")) ? home : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
import { ElevationRequiredError, mustRun, type RootCertificate, type TrustContext, type TrustStore } from "./types";

/** The JDK's default truststore (`$JAVA_HOME/lib/security/cacerts`, password "changeit"). */
export class JavaCacertsStore implements TrustStore {
  readonly name = "java";

  constructor(private readonly ctx: TrustContext) {}

  private home: string | undefined | null = null;

  private javaHome(): string | undefined {
    if (this.home === null) this.home = this.ctx.env.JAVA_HOME || javaHomeOnPath(this.ctx.env, this.ctx.platform);
    return this.home;
  }

  private keytool(): string {
    const exe = this.ctx.platform === "win32" ? "keytool.exe" : "keytool";
    return join(this.javaHome() ?? "", "bin", exe);
  }

  /** cacerts of a JDK 9+ layout, else the JRE 8 one. */
  cacerts(): string {
    const home = this.javaHome() ?? "";
    const jre8 = join(home, "jre", "lib", "security", "cacerts");
    return existsSync(jre8) ? jre8 : join(home, "lib", "security", "cacerts");
  }

  describe(): string {
    return `Java cacerts (${this.javaHome() ? this.cacerts() : "no JAVA_HOME and no java on PATH"})`;
  }

  async isAvailable(): Promise<boolean> {
    return !!this.javaHome() && existsSync(this.keytool());
  }

  private requireWritable(action: string): void {
    const target = existsSync(this.cacerts()) ? this.cacerts() : dirname(this.cacerts());
    try {
      accessSync(target, constants.W_OK);
    } catch {
      throw new ElevationRequiredError(this.name, `${action} ${this.cacerts()}`);
    }
  }

  private args(root: RootCertificate, verb: string[]): string[] {
    return [...verb, "-keystore", this.cacerts(), "-storepass", "changeit", "-alias", root.fileBase];
  }

  async install(root: RootCertificate): Promise<void> {
    this.requireWritable("writing");
    await mustRun(
      this.ctx,
      this.name,
      this.keytool(),
      this.args(root, ["-importcert", "-noprompt", "-trustcacerts", "-file", root.file]),
    );
  }

  async uninstall(root: RootCertificate): Promise<void> {
    if (!(await this.isTrusted(root))) return;
    this.requireWritable("writing");
    await mustRun(this.ctx, this.name, this.keytool(), this.args(root, ["-delete"]));
  }

  async isTrusted(root: RootCertificate): Promise<boolean> {
    if (!existsSync(this.cacerts())) return false;
    const result = await this.ctx.runner.run(this.keytool(), this.args(root, ["-list"]));
    return result.code === 0;
  }
}
