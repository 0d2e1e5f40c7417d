/**
 * `switchyard ca check`: a throwaway TLS listener on loopback serving a fresh leaf, and a real
 * handshake from each client installed here (curl, Node with and without NODE_EXTRA_CA_CERTS,
 * Python's default context and certifi, Java's default trust manager). Each gets pass or fail, the reason in plain words and the
 * one fix. Clients run with the trust variables removed, as in a terminal nobody configured.
 */
import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandRunner } from "../trust/types";
import { RUNTIME_TRUST_VARIABLES } from "../trust/runtimeEnv";
import { CHECK_PAGE_MARKER } from "./browserCheck";
import type { ProbeLeaf } from "./probeLeaf";

/** One client's verdict. */
export interface ClientCheck {
  client: string;
  passed: boolean;
  /** Why it failed, in plain words (or "not installed"). */
  reason?: string;
  /** The one thing that makes it pass. */
  fix?: string;
  /** Set when the client is not on this machine (not a failure). */
  skipped?: boolean;
}

interface Attempt {
  client: string;
  program: string;
  args: (host: string, port: number) => string[];
  env?: NodeJS.ProcessEnv;
  fix: string;
}

const NODE_SCRIPT = `const tls=require("tls");const [h,p,n]=process.argv.slice(1);const s=tls.connect({host:h,port:+p,servername:n},()=>{console.log("ok");s.end()});s.on("error",e=>{console.error(e.code||e.message);process.exit(1)});`;
const PY_SCRIPT = `import socket,ssl,sys
h,p,n=sys.argv[1],int(sys.argv[2]),sys.argv[3]
ctx=ssl.create_default_context(cafile=(__import__("certifi").where() if sys.argv[4]=="certifi" else None))
ctx.wrap_socket(socket.create_connection((h,p),timeout=5),server_hostname=n).close()
print("ok")`;
// Run by Java's source launcher (JDK 11+). Layered over a plain socket so the peer name (for SNI and
// the HTTPS hostname check) is the probe name while the connection goes to loopback.
const JAVA_SOURCE = `import javax.net.ssl.*;
public class SwitchyardTrustCheck {
  public static void main(String[] a) throws Exception {
    java.net.Socket plain = new java.net.Socket(a[0], Integer.parseInt(a[1]));
    plain.setSoTimeout(5000);
    SSLSocket s = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(plain, a[2], Integer.parseInt(a[1]), true);
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.startHandshake();
    s.close();
    System.out.println("ok");
  }
}
`;

/** Plain words for what a client said. */
export function plainReason(said: string): string {
  const untrusted = [
    /unable to get local issuer|UNABLE_TO_GET_ISSUER_CERT|unknown issuer|self.signed/i,
    /SEC_ERROR_UNKNOWN_ISSUER|certificate verify failed/i,
    // Java's trust manager
    /PKIX path building failed|unable to find valid certification path/,
  ];
  if (untrusted.some((r) => r.test(said))) return "it does not trust the Switchyard root";
  if (/No module named 'certifi'/.test(said)) return "certifi is not installed";
  if (/error: no compiler|module jdk\.compiler not found/i.test(said))
    return "this Java has no compiler (a JRE), so it cannot run the check";
  if (/expired/i.test(said)) return "the certificate has expired (or the clock is wrong)";
  return said.trim().split("\n").pop() ?? "failed";
}

/** Runs every installed client against a listener serving `probe`; `rootFile` is what NODE_EXTRA_CA_CERTS gets. */
export async function checkClients(
  probe: ProbeLeaf,
  rootFile: string,
  runner: CommandRunner,
  env: NodeJS.ProcessEnv,
  nodePath: string = process.execPath,
  /** More checks to run while the listener is up (browsers), given its port. */
  more?: (port: number) => Promise<ClientCheck[]>,
): Promise<ClientCheck[]> {
  // An HTTP answer, not just a handshake: curl counts an empty reply as a failure.
  const server = createServer({ cert: probe.chainPem, key: probe.keyPem }, (_req, res) =>
    res.end(`<html><body>${CHECK_PAGE_MARKER}</body></html>`),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const clean: NodeJS.ProcessEnv = { ...env };
  for (const k of [...RUNTIME_TRUST_VARIABLES, "SSL_CERT_DIR"]) delete clean[k];
  const name = probe.name;
  const python = (await runner.which("python3")) ? "python3" : "";
  const java = (await runner.which("java")) ? "java" : "";
  const javaDir = mkdtempSync(join(tmpdir(), "switchyard-java-check-"));
  const javaFile = join(javaDir, "SwitchyardTrustCheck.java");
  writeFileSync(javaFile, JAVA_SOURCE);
  const attempts: Attempt[] = [
    {
      client: "curl (system store)",
      program: "curl",
      args: (h, p) => [
        "-sS",
        "-o",
        "/dev/null",
        "--max-time",
        "5",
        "--resolve",
        `${name}:${p}:${h}`,
        `https://${name}:${p}/`,
      ],
      fix: "sudo switchyard ca trust (curl reads the system store)",
    },
    {
      client: "node",
      program: nodePath,
      args: (h, p) => ["-e", NODE_SCRIPT, h, String(p), name],
      fix: 'Node reads no system store: eval "$(switchyard ca env)" sets NODE_EXTRA_CA_CERTS (VS Code terminals get it)',
    },
    {
      client: "node + NODE_EXTRA_CA_CERTS",
      program: nodePath,
      args: (h, p) => ["-e", NODE_SCRIPT, h, String(p), name],
      env: { NODE_EXTRA_CA_CERTS: rootFile },
      fix: `check that ${rootFile} is readable`,
    },
    {
      client: "python (ssl default context)",
      program: python,
      args: (h, p) => ["-c", PY_SCRIPT, h, String(p), name, "default"],
      fix: "sudo switchyard ca trust (Python's ssl reads the system store)",
    },
    {
      client: "python (certifi)",
      program: python,
      args: (h, p) => ["-c", PY_SCRIPT, h, String(p), name, "certifi"],
      fix: 'certifi ignores the system store: eval "$(switchyard ca env)" sets REQUESTS_CA_BUNDLE and SSL_CERT_FILE',
    },
    {
      client: "java (default trust store)",
      program: java,
      args: (h, p) => [javaFile, h, String(p), name],
      fix: "sudo switchyard ca trust (Java reads its cacerts keystore; set JAVA_HOME if it is not the java on PATH)",
    },
  ];
  const results: ClientCheck[] = [];
  try {
    for (const a of attempts) {
      if (!a.program || !(a.program === nodePath || (await runner.which(a.program)))) {
        results.push({ client: a.client, passed: false, skipped: true, reason: "not installed" });
        continue;
      }
      // Java compiles the check before it runs: give it longer.
      const timeout = a.program === java ? 45_000 : 15_000;
      const said = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(a.program, a.args("127.0.0.1", port), { env: { ...clean, ...a.env }, timeout }, (e, o, er) =>
          resolve({ code: e ? 1 : 0, out: `${o}${er}` }),
        ),
      );
      const notRunnable = plainReason(said.out);
      if (
        said.code !== 0 &&
        (notRunnable === "certifi is not installed" || notRunnable.startsWith("this Java has no compiler"))
      ) {
        results.push({ client: a.client, passed: false, skipped: true, reason: notRunnable });
        continue;
      }
      results.push(
        said.code === 0
          ? { client: a.client, passed: true }
          : { client: a.client, passed: false, reason: plainReason(said.out), fix: a.fix },
      );
    }
    if (more) results.push(...(await more(port)));
  } finally {
    server.closeAllConnections();
    server.close();
    rmSync(javaDir, { recursive: true, force: true });
  }
  return results;
}
