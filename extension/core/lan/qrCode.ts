/**
 * The onboarding URL as a QR code, drawn by the `qrcode` package (a maintained encoder with
 * error correction and mask selection, rather than a hand-written one): for the terminal
 * (`switchyard serve --lan`) and as SVG for VS Code's QR panel.
 */
import QRCode from "qrcode";

/** The QR code of `text` in half-block characters, two modules per line, with a quiet zone. */
export function qrForTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: "terminal", small: true, errorCorrectionLevel: "M" });
}

/** The QR code of `text` as a standalone SVG document (black on white, whatever the theme). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, {
    type: "svg",
    errorCorrectionLevel: "M",
    margin: 2,
    color: { dark: "#000000", light: "#ffffff" },
  });
}
