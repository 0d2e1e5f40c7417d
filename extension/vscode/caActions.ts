/**
 * Local CA commands: create, trust, untrust, issue, export, status. The core does the work; this
 * file asks the questions (with a confirmation in untrusted workspaces) and shows the results.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import type { TrustOutcome } from "../core/ca";
import { runElevated } from "./elevate";
import { engines, type Engines } from "./engines";
import { confirmRemoteTrust } from "./remoteWindow";
import type { SwitchyardSession } from "./session";

async function caCore(): Promise<Engines["ca"]> {
  return (await engines()).ca;
}

/** Untrusted workspaces may not change trust silently: ask first (the palette is the user's own act, the panel too). */
async function confirmIfUntrusted(what: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const answer = await vscode.window.showWarningMessage(
    `This workspace is not trusted. ${what}?`,
    { modal: true, detail: "Switchyard only changes your machine's trust stores when you confirm it." },
    "Continue",
  );
  return answer === "Continue";
}

export async function createCa(session: SwitchyardSession, log: vscode.LogOutputChannel): Promise<void> {
  const core = await caCore();
  const dir = session.caDirectory();
  const state = core.inspectCaDir(dir);
  const s = session.currentSettings.ca;
  if (s.unconstrained) {
    const ok = await vscode.window.showWarningMessage(
      "switchyard.ca.unconstrained is on: the new CA can sign certificates for ANY name, including real sites.",
      {
        modal: true,
        detail:
          "If its key leaked, it could impersonate every site on machines that trust it. Use it only to test a production name.",
      },
      "Create Unconstrained CA",
    );
    if (ok !== "Create Unconstrained CA") return;
  }
  let force = false;
  if (state === "complete") {
    const answer = await vscode.window.showWarningMessage(
      `A local CA already exists in ${dir}.`,
      {
        modal: true,
        detail:
          "Replacing it moves the old one aside; clients that trusted it must trust the new root. Do this to widen or narrow the permitted names.",
      },
      "Replace CA",
    );
    if (answer !== "Replace CA") return;
    force = true;
  }
  const result = await core.createCa({
    dir,
    permittedNames: s.permittedNames,
    permittedIpRanges: s.permittedIpRanges,
    unconstrained: s.unconstrained,
    keepRootKey: s.keepRootKey,
    force,
  });
  session.forgetCa();
  log.info(
    `created the local CA in ${result.dir}: ${result.rootSubject}${result.movedAside ? ` (old one moved to ${result.movedAside})` : ""}`,
  );
  // Not awaited: the command finishes when the CA exists, whether or not the user answers.
  void vscode.window.showInformationMessage("Switchyard created the local CA.", "Trust Local CA").then((next) => {
    if (next === "Trust Local CA") void vscode.commands.executeCommand("switchyard.trustCa");
  });
}

function summarize(outcomes: TrustOutcome[]): string {
  return outcomes
    .filter((o) => o.available)
    .map(
      (o) => `${o.description || o.store}: ${o.trusted ? "trusted" : `not trusted${o.error ? ` (${o.error})` : ""}`}`,
    )
    .join("\n");
}

async function changeTrust(
  session: SwitchyardSession,
  log: vscode.LogOutputChannel,
  install: boolean,
): Promise<TrustOutcome[]> {
  const core = await caCore();
  const { ca } = await session.openCa();
  const root = core.rootCertificate(ca.rootPem(), join(session.caDirectory(), core.CA_FILES.root));
  const stores = core.trustStoresFor(core.defaultTrustContext());
  let outcomes = await (install ? core.installRoot(stores, root) : core.uninstallRoot(stores, root));
  for (const o of outcomes)
    log.info(`trust: ${o.store}: ${o.trusted ? "trusted" : "not trusted"}${o.error ? ` (${o.error})` : ""}`);
  const needsRoot = outcomes.filter((o) => o.elevation);
  if (needsRoot.length > 0) {
    const verb = install ? "Trust" : "Untrust";
    const answer = await vscode.window.showWarningMessage(
      `${needsRoot.map((o) => o.description || o.store).join(", ")} need administrator rights.`,
      { modal: true, detail: needsRoot.map((o) => o.elevation).join("\n") },
      `${verb} with Administrator Rights`,
    );
    if (answer) {
      // A small entry over engines.js (extension/cli/elevatedTrust.ts), not the whole CLI bundle.
      const step = vscode.Uri.joinPath(vscode.Uri.file(__dirname), "elevatedTrust.js").fsPath;
      await runElevated([process.execPath, step, install ? "trust" : "untrust", "--ca-dir", session.caDirectory()], {
        ELECTRON_RUN_AS_NODE: "1",
      });
      outcomes = await core.trustStatus(stores, root);
    }
  }
  // The combined bundle (system roots + the root) that terminals' SSL_CERT_FILE and friends point at.
  const { applyRuntimeTrust, withdrawRuntimeTrust } = await import("../core/ca/trust/runtimeEnv");
  const paths = { caDir: session.caDirectory(), rootFile: join(session.caDirectory(), core.CA_FILES.root) };
  try {
    if (install) applyRuntimeTrust(paths);
    else withdrawRuntimeTrust(paths);
  } catch (e) {
    log.warn(`trust: the runtime bundle could not be written: ${(e as Error).message}`);
  }
  session.forgetCa();
  return outcomes;
}

export async function trustCa(
  session: SwitchyardSession,
  log: vscode.LogOutputChannel,
): Promise<TrustOutcome[] | undefined> {
  if (!(await confirmIfUntrusted("Install Switchyard's root certificate into this machine's trust stores")))
    return undefined;
  // A remote window changes the remote machine's stores: say so, offer the root for the user's computer.
  if (!(await confirmRemoteTrust(vscode, async () => (await session.openCa()).ca.rootPem()))) return undefined;
  const outcomes = await changeTrust(session, log, true);
  const failed = outcomes.filter((o) => o.available && !o.trusted);
  const text = summarize(outcomes);
  log.info(`trust:\n${text}`);
  if (failed.length > 0)
    void vscode.window
      .showWarningMessage(
        `Switchyard: ${failed.length === 1 ? "one store does" : `${failed.length} stores do`} not trust the CA yet.`,
        "Show Log",
      )
      .then((answer) => answer && vscode.commands.executeCommand("switchyard.showLog"));
  else void vscode.window.showInformationMessage("Switchyard: the local CA is trusted.");
  return outcomes;
}

export async function untrustCa(session: SwitchyardSession, log: vscode.LogOutputChannel): Promise<TrustOutcome[]> {
  const outcomes = await changeTrust(session, log, false);
  log.info(`untrust:\n${summarize(outcomes)}`);
  void vscode.window.showInformationMessage("Switchyard removed the local CA from the trust stores.");
  return outcomes;
}

/** Issues a certificate and writes NAME.pem / NAME-key.pem (and optionally a .p12) into the workspace. */
export async function exportCertificate(
  session: SwitchyardSession,
  log: vscode.LogOutputChannel,
  names?: string[],
  withP12 = false,
): Promise<string | undefined> {
  const core = await caCore();
  const input =
    names ??
    (
      await vscode.window.showInputBox({
        title: "Issue a certificate",
        prompt: "Names (DNS names, *.wildcards, IP addresses), separated by spaces",
        value: session.currentSettings.proxy.routes[0]?.host ?? "my-awesome-service.test",
      })
    )
      ?.split(/[\s,]+/)
      .filter(Boolean);
  if (!input || input.length === 0) return undefined;
  const { ca } = await session.openCa();
  const leaf = await ca.issue(input);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const outDir = folder ? join(folder, ".certs") : join(session.caDirectory(), "exports");
  mkdirSync(outDir, { recursive: true });
  const files = core.writeLeafPem(leaf, outDir);
  let p12: string | undefined;
  if (withP12) {
    const password = await vscode.window.showInputBox({
      title: "PKCS#12 password",
      password: true,
      prompt: "Kestrel and Java ask for it",
    });
    if (password) {
      p12 = join(outDir, `${core.leafFileBase(input[0] ?? "cert")}.p12`);
      // Like every private file Switchyard writes: a new 0600 file, renamed into place, never
      // through a planted link or into someone else's file.
      const { writeFileExclusively } = await import("../core/ca/exclusiveFile");
      writeFileExclusively(
        p12,
        await core.exportPkcs12({
          chainPem: leaf.chainPem,
          keyPem: leaf.keyPem,
          password,
          friendlyName: input[0] ?? "switchyard",
        }),
        0o600,
      );
    }
  }
  log.info(`issued ${input.join(", ")} into ${outDir}`);
  const doc = await vscode.workspace.openTextDocument({
    language: "markdown",
    content: `# Certificate for ${input.join(", ")}\n\nWritten to \`${outDir}\` (add it to .gitignore: the key is private).\n\n\`\`\`\n${core.usageSnippets(files, p12)}\n\`\`\`\n\nClients must trust the root: run **Switchyard: Trust Local CA**, and for Node set NODE_EXTRA_CA_CERTS.\n`,
  });
  await vscode.window.showTextDocument(doc, { preview: true });
  return files.certFile;
}

/** Shows the CA's status (subject, fingerprint, constraints, trust per store) as a document. */
export async function showCaStatus(session: SwitchyardSession): Promise<void> {
  const view = await session.caSnapshot();
  if (!view.exists) {
    const answer = await vscode.window.showInformationMessage(
      view.error ?? `There is no local CA in ${view.directory} yet.`,
      "Create Local CA",
    );
    if (answer) await vscode.commands.executeCommand("switchyard.createCa");
    return;
  }
  const lines = [
    `# Switchyard local CA`,
    ``,
    `- Subject: ${view.subject}`,
    `- SHA-256: ${view.fingerprint}`,
    `- Expires: ${view.notAfter}`,
    `- Directory: ${view.directory}`,
    `- Name constraints: ${view.constrained ? (view.permitted ?? []).join(", ") : "none (unconstrained)"}`,
    ``,
    `## Trust`,
    ...view.trust.map(
      (t) =>
        `- ${t.store}: ${!t.available ? "not on this machine" : t.trusted ? "trusted" : "not trusted"}${t.detail ? ` (${t.detail})` : ""}`,
    ),
    ``,
    `## Issued certificates`,
    ...(view.leaves.length === 0
      ? ["(none yet)"]
      : view.leaves.map((l) => `- ${l.names.join(", ")} until ${l.notAfter}`)),
  ];
  const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: lines.join("\n") });
  await vscode.window.showTextDocument(doc, { preview: true });
}
