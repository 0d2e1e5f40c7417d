/**
 * What an NSS-reading browser needs from Switchyard: whether it is installed, and every NSS database
 * it will read, including the one it will create on its first launch (so Switchyard can create it
 * first and the browser starts out trusting the root).
 */

/** A new Firefox profile to write before Firefox's first launch (see firefoxProfileSeed.ts). */
export interface FirefoxProfileSeed {
  /** The profiles root that gets profiles.ini. */
  profilesRoot: string;
  /** Firefox's install folder (holds the binary and browser/), so Firefox adopts the profile as its own. */
  installDir?: string;
}

/** One NSS database folder a browser reads. */
export interface NssLocation {
  /** The folder that holds (or will hold) cert9.db. */
  dir: string;
  /** "sql" (cert9.db) or "dbm" (an old cert8.db-only profile). */
  format: "sql" | "dbm";
  /** Whether the database exists now. */
  exists: boolean;
  /** Why the browser reads this folder, in words. */
  why: string;
  /** How to create it when it does not exist yet: an empty database, or a whole new Firefox profile. */
  create?: { kind: "db" } | { kind: "firefox-profile"; seed: FirefoxProfileSeed };
}

/** A browser (one packaging of it: native, snap, flatpak) that reads NSS databases. */
export interface NssClient {
  /** Store name shown in `ca status`: "chromium", "firefox", "firefox-snap", … */
  name: string;
  /** For people: "Chromium (and Chrome, Edge, Brave)". */
  label: string;
  /** Whether the browser is installed: then its store must end up trusting the root. */
  installed(): Promise<boolean>;
  /** Every database it reads, existing or to be created. */
  locations(): NssLocation[];
}
