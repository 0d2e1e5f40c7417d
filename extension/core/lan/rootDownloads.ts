/**
 * The root certificate in the three forms devices install: DER `.crt` (Android, Chromium, most
 * desktop stores), an iOS/iPadOS configuration profile (`.mobileconfig`, a plist with one
 * `com.apple.security.root` payload), and PEM. Only the public certificate ever goes in: the
 * input is the root's PEM, and nothing here can reach a key. Pure.
 */
import { createHash, X509Certificate } from "node:crypto";

/** One file of the onboarding page. */
export interface RootDownload {
  path: string;
  contentType: string;
  body: Buffer;
}

/** The root's downloads and its SHA-256 fingerprint (`AB:CD:…`, as `switchyard ca status` shows it). */
export interface RootForms {
  fingerprint256: string;
  subject: string;
  crt: RootDownload;
  mobileconfig: RootDownload;
  pem: RootDownload;
}

/** The onboarding page's download paths. */
export const ROOT_PATHS = {
  crt: "/switchyard-root.crt",
  mobileconfig: "/switchyard-root.mobileconfig",
  pem: "/switchyard-root.pem",
} as const;

/** The root in every form, from its PEM; throws when the PEM holds no certificate. */
export function rootForms(rootPem: string): RootForms {
  const cert = new X509Certificate(rootPem);
  const der = cert.raw;
  const fingerprint256 = (createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g) ?? []).join(":");
  const pem = `-----BEGIN CERTIFICATE-----\n${(der.toString("base64").match(/.{1,64}/g) ?? []).join("\n")}\n-----END CERTIFICATE-----\n`;
  const subject = cert.subject.replace(/\n/g, ", ");
  return {
    fingerprint256,
    subject,
    crt: { path: ROOT_PATHS.crt, contentType: "application/x-x509-ca-cert", body: der },
    mobileconfig: {
      path: ROOT_PATHS.mobileconfig,
      contentType: "application/x-apple-aspen-config",
      body: Buffer.from(mobileconfig(der, fingerprint256, subject), "utf8"),
    },
    pem: { path: ROOT_PATHS.pem, contentType: "application/x-pem-file", body: Buffer.from(pem, "ascii") },
  };
}

/**
 * An unsigned configuration profile with the root as its one payload. Its UUIDs derive from the
 * fingerprint, so the same root is the same profile (installing it again replaces, not duplicates).
 * iOS marks it "Not Verified" (it is unsigned) and, once installed, still wants full trust turned on
 * by hand in Settings › General › About › Certificate Trust Settings.
 */
export function mobileconfig(der: Buffer, fingerprint256: string, subject: string): string {
  const hex = fingerprint256.replace(/:/g, "");
  const uuid = (salt: string): string => {
    const h = createHash("sha256")
      .update(salt + hex)
      .digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
  };
  const esc = (s: string): string => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const data = (der.toString("base64").match(/.{1,64}/g) ?? []).join("\n");
  const short = hex.slice(0, 8).toLowerCase();
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>PayloadCertificateFileName</key>
      <string>switchyard-root.cer</string>
      <key>PayloadContent</key>
      <data>
${data}
      </data>
      <key>PayloadDescription</key>
      <string>Adds the Switchyard development root so this device accepts the dev proxy's certificates.</string>
      <key>PayloadDisplayName</key>
      <string>${esc(subject)}</string>
      <key>PayloadIdentifier</key>
      <string>dev.switchyard.root.${short}.certificate</string>
      <key>PayloadType</key>
      <string>com.apple.security.root</string>
      <key>PayloadUUID</key>
      <string>${uuid("certificate")}</string>
      <key>PayloadVersion</key>
      <integer>1</integer>
    </dict>
  </array>
  <key>PayloadDescription</key>
  <string>Trust for the Switchyard development proxy on your computer (SHA-256 ${fingerprint256}). Remove this profile when you no longer test on this device.</string>
  <key>PayloadDisplayName</key>
  <string>Switchyard development root</string>
  <key>PayloadIdentifier</key>
  <string>dev.switchyard.root.${short}</string>
  <key>PayloadRemovalDisallowed</key>
  <false/>
  <key>PayloadType</key>
  <string>Configuration</string>
  <key>PayloadUUID</key>
  <string>${uuid("profile")}</string>
  <key>PayloadVersion</key>
  <integer>1</integer>
</dict>
</plist>
`;
}
