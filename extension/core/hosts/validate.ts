/**
 * What may go into Switchyard's block: validated hostnames (IDN turned into punycode) and plain
 * IPv4/IPv6 addresses. Everything a resolver would misread or that would break the line format of
 * the hosts file is refused with the reason.
 */
import { isIPv4, isIPv6 } from "node:net";
import { domainToASCII } from "node:url";
import { InvalidAddressError, InvalidHostnameError } from "./errors";

const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * One DNS label as Switchyard accepts it everywhere (hosts mappings and certificates): letters,
 * digits and inner hyphens, at most 63 characters, lower case. No "_": resolvers and browsers
 * treat it inconsistently.
 */
export function isLdhLabel(label: string): boolean {
  return label.length <= MAX_LABEL_LENGTH && LDH_LABEL.test(label);
}

/**
 * Returns the hostname as it must appear in the hosts file: lower case, ASCII (punycode for IDN),
 * without a trailing dot. Throws {@link InvalidHostnameError} with the reason otherwise.
 */
export function normalizeHostname(input: string): string {
  const fail = (reason: string): never => {
    throw new InvalidHostnameError(input, reason);
  };
  if (input.length === 0) fail("it is empty");
  if (/[\r\n]/.test(input)) fail("it contains a line break");
  if (/\s/u.test(input)) fail("it contains whitespace");
  if (input.includes("#")) fail('it contains "#", which starts a comment in a hosts file');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(input)) fail("it contains a control character");
  if (input.includes("%") || isIPv4(input) || isIPv6(input) || /^\[.*\]$/.test(input))
    fail("it is an address, not a name");
  const withoutDot = input.endsWith(".") ? input.slice(0, -1) : input;
  if (withoutDot.length === 0 || withoutDot.startsWith(".") || withoutDot.includes(".."))
    fail("it has an empty label (a leading dot or two dots in a row)");
  if (/^[0-9]+$/.test(withoutDot.slice(withoutDot.lastIndexOf(".") + 1)))
    fail("its last label is all digits, so it reads as an address");
  const ascii = domainToASCII(withoutDot);
  if (ascii === "") fail("it is not a valid internationalized domain name");
  if (ascii.length > MAX_NAME_LENGTH) fail(`it is ${ascii.length} characters long; the limit is ${MAX_NAME_LENGTH}`);
  const labels = ascii.split(".");
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH)
      fail(`the label "${label}" is ${label.length} characters long; the limit is ${MAX_LABEL_LENGTH}`);
    if (!LDH_LABEL.test(label))
      fail(`the label "${label}" may only contain letters, digits and inner hyphens (no "_" or leading/trailing "-")`);
  }
  return ascii;
}

/**
 * Returns the address in canonical text (IPv6 lower case) if it is a plain IPv4 or IPv6 address.
 * Zone ids (`fe80::1%eth0`) are refused: a hosts file cannot carry them portably.
 */
export function normalizeAddress(input: string): string {
  const address = input.trim() === input ? input : "";
  if (address === "") throw new InvalidAddressError(input, "it is empty or has surrounding whitespace");
  if (address.includes("%"))
    throw new InvalidAddressError(input, "zone ids (the %interface suffix) are not supported in hosts files");
  if (isIPv4(address)) return address;
  if (isIPv6(address)) return address.toLowerCase();
  throw new InvalidAddressError(input, "it is neither an IPv4 address (127.0.0.1) nor an IPv6 address (::1)");
}
