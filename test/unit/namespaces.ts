// Whether this machine lets the tests make private namespaces, and if not, why in words a newcomer
// can act on. Tests that need one skip with that reason on a developer's machine; under CI=true
// a missing capability is a failure, never a skip (requirements.ts).
import { spawnSync } from "node:child_process";
import { unmet } from "./requirements";

/** Why `unshare --mount` cannot run here, or undefined when it can. */
export function mountNamespaceUnavailable(): string | undefined {
  if (process.platform !== "linux") return unmet("private mount namespaces need Linux");
  const probe = spawnSync("unshare", ["--mount", "--propagation", "private", "true"], { encoding: "utf8" });
  if (probe.error) return unmet("unshare is not installed (apt-get install util-linux)");
  if (probe.status !== 0) {
    return unmet(
      `unshare --mount is not permitted for this user (${probe.stderr.trim() || `exit ${probe.status}`}): ` +
        "run the tests as root (sudo npm test), or allow unprivileged user namespaces",
    );
  }
  return undefined;
}
