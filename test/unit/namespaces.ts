// Whether this machine lets the tests make private namespaces, and if not, why in words a newcomer
// can act on. Tests that need one skip with that reason on a developer's machine; under CI=true
// (where the project installs and runs as root) a missing capability is a failure, never a skip.
import { spawnSync } from "node:child_process";

function explainOrThrow(reason: string | undefined): string | undefined {
  if (reason && process.env.CI === "true") throw new Error(`${reason} (required under CI=true)`);
  return reason;
}

/** Why `unshare --mount` cannot run here, or undefined when it can. */
export function mountNamespaceUnavailable(): string | undefined {
  if (process.platform !== "linux") return explainOrThrow("private mount namespaces need Linux");
  const probe = spawnSync("unshare", ["--mount", "--propagation", "private", "true"], { encoding: "utf8" });
  if (probe.error) return explainOrThrow("unshare is not installed (apt-get install util-linux)");
  if (probe.status !== 0) {
    return explainOrThrow(
      `unshare --mount is not permitted for this user (${probe.stderr.trim() || `exit ${probe.status}`}): ` +
        "run the tests as root (sudo npm test), or allow unprivileged user namespaces",
    );
  }
  return undefined;
}
