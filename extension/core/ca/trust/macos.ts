/** The macOS login keychain: security add-trusted-cert (asks for the user's password, not root). */
import { join } from "node:path";
import { mustRun, type RootCertificate, type TrustContext, type TrustStore } from "./types";

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
}
