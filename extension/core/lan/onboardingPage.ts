/**
 * The device onboarding page: what a phone gets for plain HTTP to one of this machine's LAN
 * addresses on the proxy's port with no route name. It offers the root (DER, iOS profile, PEM),
 * shows its SHA-256 fingerprint in large type to compare with the computer, says how to install it
 * on Android, iOS and desktop browsers, and links the shared routes. Served only while sharing is
 * on (only LAN listeners and the LAN addresses lead here). Pure: facts in, bytes out.
 */
import { ROOT_PATHS, type RootForms } from "./rootDownloads";

/** A response of the onboarding page, ready for the proxy's page writer. */
export interface OnboardingAnswer {
  status: number;
  contentType: string;
  body: Buffer;
  /** A download's file name (Content-Disposition: attachment). */
  filename?: string;
}

/** What the page shows besides the root. */
export interface OnboardingFacts {
  root: RootForms;
  /** `https://my-app.local:8443/` and the route each stands for, claimed names only. */
  shared: { url: string; routeHost: string }[];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The answer for `path` (the request target; a query is ignored): the page, a download, or 404. */
export function onboardingAnswer(path: string, facts: OnboardingFacts): OnboardingAnswer {
  const bare = path.split("?")[0] ?? "/";
  const download = [facts.root.crt, facts.root.mobileconfig, facts.root.pem].find((d) => d.path === bare);
  if (download)
    return { status: 200, contentType: download.contentType, body: download.body, filename: download.path.slice(1) };
  if (bare !== "/" && bare !== "/index.html")
    return {
      status: 404,
      contentType: "text/plain; charset=utf-8",
      body: Buffer.from(`Not here. The Switchyard device page is at /\n`, "utf8"),
    };
  return { status: 200, contentType: "text/html; charset=utf-8", body: Buffer.from(onboardingHtml(facts), "utf8") };
}

/** The page itself: small, no script, readable on a phone. */
export function onboardingHtml(facts: OnboardingFacts): string {
  const fp = facts.root.fingerprint256;
  // Four lines of eight bytes: readable on a narrow phone screen, no line broken inside a byte.
  const lines = (fp.match(/([0-9A-F]{2}:?){1,8}/g) ?? []).map((l) => escapeHtml(l.replace(/:$/, "")));
  const shared =
    facts.shared.length === 0
      ? "<p>No route is shared yet: add a route in Switchyard on the computer and reload this page.</p>"
      : `<ul>${facts.shared.map((s) => `<li><a href="${escapeHtml(s.url)}">${escapeHtml(s.url)}</a> <small>(${escapeHtml(s.routeHost)})</small></li>`).join("")}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard: trust this computer's dev certificates</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:1.5em auto;padding:0 1em;color:#222}
h1{font-size:1.35em}h2{font-size:1.1em;margin-top:1.6em}.fp{font:bold 1.35em/1.4 ui-monospace,monospace;word-break:break-all;background:#f3f3f3;padding:.5em;border-radius:.3em}
.dl a{display:block;margin:.4em 0;padding:.7em;border:1px solid #888;border-radius:.4em;text-decoration:none}li{margin:.3em 0}</style></head>
<body>
<h1>Open this computer's dev apps on this device</h1>
<p>Install the Switchyard development root so this device trusts the dev proxy's HTTPS certificates.
Compare this fingerprint with the one the computer shows before you install:</p>
<p class="fp" id="fingerprint">SHA-256<br>${lines.join("<br>")}</p>
<div class="dl">
<a href="${ROOT_PATHS.crt}" download>Android, Chrome, Firefox, Windows: switchyard-root.crt</a>
<a href="${ROOT_PATHS.mobileconfig}">iPhone, iPad, Mac: switchyard-root.mobileconfig</a>
<a href="${ROOT_PATHS.pem}" download>PEM (Linux, tools): switchyard-root.pem</a>
</div>
<h2>Android</h2>
<ol><li>Tap <b>switchyard-root.crt</b> above to download it.</li>
<li>Open Settings › Security (or Security &amp; privacy) › More security settings › Encryption &amp; credentials › Install a certificate › <b>CA certificate</b>, tap Install anyway, and pick the downloaded file.</li>
<li>Chrome trusts it from then on. Apps trust user CAs only if they opt in (their network security config); Firefox for Android needs Settings › About Firefox, tap the logo 5 times, then Secret settings › Use third party CA certificates.</li></ol>
<h2>iPhone and iPad</h2>
<ol><li>Open this page in <b>Safari</b> and tap <b>switchyard-root.mobileconfig</b>, then Allow.</li>
<li>Settings › General › VPN &amp; Device Management (or Settings › Profile Downloaded) › Switchyard development root › Install.</li>
<li>Turn on full trust: <b>Settings › General › About › Certificate Trust Settings</b> › enable the Switchyard root.</li></ol>
<h2>Desktop browsers</h2>
<ul><li>Chrome / Edge: Settings › Privacy and security › Security › Manage certificates › Authorities › Import the .crt, trust it for websites.</li>
<li>Firefox: Settings › Privacy &amp; Security › Certificates › View Certificates › Authorities › Import, tick "Trust this CA to identify websites".</li>
<li>macOS Safari: open the .crt in Keychain Access, then set it to Always Trust. On the computer running Switchyard, <code>switchyard ca trust</code> does all of this.</li></ul>
<h2>Shared apps</h2>
${shared}
<p><small>Names ending in .local are found by multicast DNS: Android 12 and later, iOS and macOS resolve them on the same Wi-Fi. Served by Switchyard while sharing on the local network is on; this page never offers a private key.</small></p>
</body></html>
`;
}
