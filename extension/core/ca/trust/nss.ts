/**
 * NSS databases of one browser (Chromium's per-user database, each Firefox profile), via certutil
 * from libnss3-tools. Where the browser reads from comes from discovery/ (chromium.ts, firefox.ts);
 * this file installs, removes and checks. A database the browser will create on its first launch is
 * created here first, so that launch already trusts the root.
 */
import {
  copyFileSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { nativeChromium } from "./discovery/chromium";
import { writeFirefoxProfile } from "./discovery/firefoxProfileSeed";
import type { NssClient, NssLocation } from "./discovery/nssClient";
import {
  mustRun,
  TrustToolMissingError,
  type RootCertificate,
  type TrustContext,
  type TrustStore,
  type TrustVerdict,
} from "./types";

/** Where certutil comes from on each platform. */
export function certutilHint(platform: NodeJS.Platform): string {
  if (platform === "darwin") return "install it with: brew install nss";
  return "install it with: sudo apt install libnss3-tools (Fedora: sudo dnf install nss-tools; Arch: sudo pacman -S nss)";
}

// Not pkcs11.txt or secmod.db: a Firefox profile's pkcs11.txt names its own folder, so a copy of it
// would point certutil back at the real database.
const NSS_FILES = /^(cert[89]\.db|key[34]\.db)$/;

/** One browser's NSS databases, as one store. */
export class NssStore implements TrustStore {
  readonly name: string;

  /** `client` defaults to native Chromium's per-user database. */
  constructor(
    private readonly ctx: TrustContext,
    private readonly client: NssClient = nativeChromium(ctx.home, ctx.env, ctx.runner),
  ) {
    this.name = client.name;
  }

  describe(): string {
    const dbs = this.client.locations().map((l) => (l.exists ? l.dir : `${l.dir} (to be created)`));
    return `${this.client.label} NSS: ${dbs.join(", ") || "no database"}`;
  }

  /** The existing databases, as certutil -d arguments ("sql:DIR" or "dbm:DIR"). */
  databases(): string[] {
    return this.client
      .locations()
      .filter((l) => l.exists)
      .map((l) => `${l.format}:${l.dir}`);
  }

  async isAvailable(): Promise<boolean> {
    return (await this.client.installed()) || this.databases().length > 0;
  }

  isRequired(): Promise<boolean> {
    return this.client.installed();
  }

  private async certutil(): Promise<string> {
    const found = await this.ctx.runner.which("certutil");
    if (!found || this.ctx.platform === "win32")
      throw new TrustToolMissingError(this.name, "certutil", certutilHint(this.ctx.platform));
    return found;
  }

  /** Creates a missing database (or a whole first Firefox profile); returns what to tell the user. */
  private async create(certutil: string, location: NssLocation): Promise<{ db: string; note: string }> {
    let dir = location.dir;
    const seed = location.create?.kind === "firefox-profile" ? location.create.seed : undefined;
    const made = [firstMissingAncestor(seed ? seed.profilesRoot : dir)];
    if (seed) {
      dir = writeFirefoxProfile(seed);
      made.push(dir, join(seed.profilesRoot, "profiles.ini"));
    } else mkdirSync(dir, { recursive: true, mode: 0o700 });
    await mustRun(this.ctx, this.name, certutil, ["-N", "-d", `sql:${dir}`, "--empty-password"]);
    made.push(dir);
    // Under sudo, what was made in the user's home must be theirs, or their browser cannot open it.
    const owner = this.ctx.owner;
    if (owner) for (const path of made) if (path) chownTree(path, owner);
    return { db: `sql:${dir}`, note: `created ${dir}: ${location.why}` };
  }

  async install(root: RootCertificate): Promise<string[]> {
    const certutil = await this.certutil();
    const notes: string[] = [];
    const installed = await this.client.installed();
    for (const location of this.client.locations()) {
      let db = `${location.format}:${location.dir}`;
      if (!location.exists) {
        // Only for a browser that is installed: a database nobody reads is clutter.
        if (!installed || !location.create) continue;
        const made = await this.create(certutil, location);
        db = made.db;
        notes.push(made.note);
      }
      // "C,," trusts the root for TLS servers only, not for e-mail or code signing.
      await mustRun(this.ctx, this.name, certutil, ["-A", "-d", db, "-t", "C,,", "-n", root.nickname, "-i", root.file]);
    }
    return notes;
  }

  async uninstall(root: RootCertificate): Promise<void> {
    const certutil = await this.certutil();
    for (const db of this.databases()) {
      // Bounded: a database can hold the nickname more than once (an old root under the same name).
      for (let i = 0; i < 8; i++) {
        const listed = await this.ctx.runner.run(certutil, ["-L", "-d", db, "-n", root.nickname]);
        if (listed.code !== 0) break;
        await mustRun(this.ctx, this.name, certutil, ["-D", "-d", db, "-n", root.nickname]);
      }
    }
  }

  /** Every existing database lists the root with the C (trusted CA for TLS) flag. */
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
      const listed = await this.ctx.runner.run(certutil, ["-L", "-d", db]);
      if (listed.code !== 0 || !trustFlagsOf(listed.stdout, root.nickname).some((f) => f.split(",")[0]?.includes("C")))
        return false;
    }
    return true;
  }

  /** certutil -V -u V (TLS server) for a fresh leaf, in a throwaway copy of each database. */
  async verify(root: RootCertificate): Promise<TrustVerdict> {
    const dbs = this.databases();
    const checkedBy = root.probe ? "certutil -V -u V with a fresh leaf" : "certutil -L (root listed with trust C)";
    if (dbs.length === 0) return { trusted: false, checkedBy, reason: "the browser has no NSS database yet" };
    let certutil: string;
    try {
      certutil = await this.certutil();
    } catch (e) {
      return { trusted: false, checkedBy, reason: (e as Error).message };
    }
    if (!root.probe) {
      const trusted = await this.isTrusted(root);
      return { trusted, checkedBy, ...(trusted ? {} : { reason: "the root is not in every database" }) };
    }
    for (const db of dbs) {
      const reason = await verifyInCopy(this.ctx, certutil, db, root.probe);
      if (reason) return { trusted: false, checkedBy, reason: `${db.slice(4)}: ${reason}` };
    }
    return { trusted: true, checkedBy };
  }
}

/** The topmost folder on the way to `dir` that does not exist yet (what creating `dir` will make). */
function firstMissingAncestor(dir: string): string | undefined {
  let missing: string | undefined;
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    try {
      readdirSync(d);
      break;
    } catch {
      missing = d;
    }
  }
  return missing;
}

/** chown -R that never follows a symbolic link. */
function chownTree(top: string, owner: { uid: number; gid: number }): void {
  lchownSync(top, owner.uid, owner.gid);
  if (!lstatSync(top).isDirectory()) return;
  for (const entry of readdirSync(top)) chownTree(join(top, entry), owner);
}

/** The trust flags ("C,,") certutil -L prints for `nickname` (one per certificate of that name). */
export function trustFlagsOf(listing: string, nickname: string): string[] {
  const flags: string[] = [];
  for (const line of listing.split("\n")) {
    const m = /^(.*?)\s+([a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*)\s*$/.exec(line);
    if (m?.[1]?.trim() === nickname && m[2]) flags.push(m[2]);
  }
  return flags;
}

/** Verifies the probe leaf in a temp copy of `db` (the browser's own database is never written); returns why not, or undefined. */
async function verifyInCopy(
  ctx: TrustContext,
  certutil: string,
  db: string,
  probe: NonNullable<RootCertificate["probe"]>,
): Promise<string | undefined> {
  const [format, ...rest] = db.split(":");
  const source = rest.join(":");
  const copy = mkdtempSync(join(tmpdir(), "switchyard-nss-check-"));
  try {
    for (const f of readdirSync(source)) if (NSS_FILES.test(f)) copyFileSync(join(source, f), join(copy, f));
    const target = `${format}:${copy}`;
    const add = async (nick: string, pem: string): Promise<string | undefined> => {
      const file = join(copy, `${nick}.pem`);
      writeFileSync(file, pem);
      const r = await ctx.runner.run(certutil, ["-A", "-d", target, "-t", ",,", "-n", nick, "-i", file]);
      return r.code === 0 ? undefined : `could not read the database: ${(r.stderr || r.stdout).trim()}`;
    };
    const failed =
      (probe.intermediatePem.trim() && (await add("switchyard-check-intermediate", probe.intermediatePem))) ||
      (await add("switchyard-check-leaf", probe.leafPem));
    if (failed) return failed;
    const r = await ctx.runner.run(certutil, ["-V", "-u", "V", "-d", target, "-n", "switchyard-check-leaf"]);
    if (r.code === 0) return undefined;
    const said = (r.stdout + r.stderr).replace(/^certutil: certificate is invalid: /m, "").trim();
    return /issuer is not recognized/i.test(said) ? "the root is not trusted there" : said;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
