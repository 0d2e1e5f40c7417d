/**
 * Words for accept/: a client's first bytes (sniff), its ClientHello, the TLS handshake, the
 * certificate presented for the name it asked (and notes when that name gets none), and a
 * passthrough route that points back at the proxy.
 */
import { clientTrustAdvice, type ClientOrigin } from "./client";
import { detail, errorCode, type Explained } from "./explained";

/** The first bytes are neither a ClientHello nor an HTTP request. */
export function explainUnknownProtocol(): Explained {
  return {
    code: "UNKNOWN_PROTOCOL",
    explanation: "unknown protocol: the first bytes are neither a TLS ClientHello nor an HTTP request",
  };
}

/** The client said too little within the sniff timeout. */
export function explainSniffTimeout(receivedBytes: number, tls: boolean, timeoutMs: number): Explained {
  const what =
    receivedBytes === 0
      ? "sent nothing"
      : tls
        ? `sent only ${receivedBytes} bytes of its ClientHello`
        : `sent only ${receivedBytes} bytes`;
  return {
    code: "SNIFF_TIMEOUT",
    explanation: `the client connected and ${what} within ${timeoutMs} ms (switchyard.proxy.sniffTimeoutMs); closed`,
  };
}

/** The client's socket failed before the proxy knew what it speaks. */
export function explainEarlyClientError(error: NodeJS.ErrnoException): Explained {
  return {
    code: error.code ?? "SOCKET_ERROR",
    explanation: `the client's connection failed before it said anything useful (${error.code ?? error.message})`,
  };
}

/** The client closed before a whole request or ClientHello. */
export function explainEarlyClientClose(receivedBytes: number): Explained {
  return {
    code: "CLIENT_CLOSED",
    explanation:
      receivedBytes === 0
        ? "the client connected and closed without sending anything (a port check?)"
        : `the client closed after ${receivedBytes} bytes, before a whole request or ClientHello`,
  };
}

/** The ClientHello parser's error (its code in upper case, e.g. CLIENT_HELLO_BAD_LENGTH). */
export function explainUnusableClientHello(parserCode: string, message: string): Explained {
  return {
    code: `CLIENT_HELLO_${parserCode.toUpperCase().replace(/-/g, "_")}`,
    explanation: `not a usable TLS ClientHello: ${message}`,
  };
}

/** A bug of ours between the ClientHello and the handshake. */
export function explainInternalHandshakeError(error: unknown): Explained {
  return { code: "INTERNAL", explanation: `Switchyard failed to continue the handshake: ${String(error)}` };
}

/**
 * Explains a server-side TLS handshake failure. `certificateSent` says whether the client got as
 * far as receiving our certificate: a client that hangs up right then almost always rejected it.
 * `origin` names the client (from its ClientHello) and where it is, so the words say what fixes
 * trust for that client instead of "Trust Local CA" again.
 */
export function explainHandshakeFailure(
  error: unknown,
  certificateSent: boolean,
  origin: ClientOrigin = {},
): Explained {
  const trustHint = (): string => clientTrustAdvice(origin).explanation;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : "";
  if (
    /ALERT_UNKNOWN_CA|ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_UNKNOWN|alert number (42|46|48)\b/i.test(code + message)
  ) {
    return {
      code,
      explanation: `the client rejected the certificate: it does not trust the Switchyard root; ${trustHint()}`,
    };
  }
  if (/NO_SHARED_CIPHER|UNSUPPORTED_PROTOCOL|VERSION_TOO_LOW|PROTOCOL_VERSION|alert number 70/i.test(code + message)) {
    return {
      code,
      explanation:
        "the client and Switchyard have no TLS version or cipher in common (the client is very old or restricted)",
    };
  }
  if (/NO_APPLICATION_PROTOCOL|alert number 120/i.test(code + message)) {
    return {
      code,
      explanation: "the client offered no application protocol Switchyard speaks (it offers h2 and http/1.1)",
    };
  }
  if (/HTTP_REQUEST|HTTPS_PROXY_REQUEST/i.test(code + message)) {
    return { code, explanation: "the client sent plain HTTP in the middle of a TLS handshake" };
  }
  if (code === "ECONNRESET" || code === "EPIPE" || code === "CLOSED") {
    return certificateSent
      ? {
          code,
          explanation: `the client closed the connection right after receiving the certificate: it most likely does not trust the root; ${trustHint()}`,
        }
      : {
          code,
          explanation:
            "the client closed the connection before the handshake got going (a port scanner, or a client that gave up)",
        };
  }
  if (code === "ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR" || /alert number 51/.test(message)) {
    return {
      code,
      explanation: "the client could not verify the handshake signature (a broken or intercepting client)",
    };
  }
  return { code, explanation: `the TLS handshake failed: ${message || code}` };
}

/**
 * A TLS connection that finished its handshake and closed without a request, from a client that
 * checks the certificate only after the handshake (Node: it hangs up without an alert, so the
 * handshake looks fine from here): most likely it does not trust the root.
 */
export function explainClosedAfterHandshake(origin: ClientOrigin): Explained {
  return {
    code: "CLOSED_AFTER_HANDSHAKE",
    explanation: `the client finished the TLS handshake and closed without sending a request: it checks the certificate after the handshake, so it most likely does not trust the Switchyard root; ${clientTrustAdvice(origin).explanation}`,
  };
}

/** The CA could not issue a leaf for the name the client asked for. */
export function explainNoCertificate(name: string, error: unknown): Explained {
  return {
    code: "NO_CERTIFICATE",
    explanation: `no certificate could be issued for ${name}: ${(error as Error).message}`,
  };
}

/**
 * The record's certificate note for an SNI name no route covers. Leaves are issued only for names
 * a route serves (a *. wildcard route counts), so a client inventing names cannot make the proxy
 * mint certificates and fill memory and the leaves folder (issue 22 item 3).
 */
export function unroutedNameNote(name: string, presented: string): string {
  return (
    `no route serves ${name}, and Switchyard issues certificates only for names a route covers (a *. wildcard route counts); ` +
    `presented the certificate for ${presented} instead. To serve ${name}: add a route for it (the switchyard.proxy.routes ` +
    `setting, Switchyard: Add Route, or switchyard run ${name} -- COMMAND), then connect again`
  );
}

/** The record's certificate note for an SNI that is not a host name (`sent` is already printable). */
export function refusedServerNameNote(sent: string, presented: string): string {
  return (
    `the client's SNI ${sent} is not a host name (RFC 6066: letters, digits and inner hyphens in dot-separated labels), ` +
    `so it gets no certificate of its own; presented the certificate for ${presented} instead`
  );
}

/** The record's certificate note for an SNI name the CA may not issue for (`refusal` says why). */
export function refusedNameNote(name: string, refusal: string, presented: string): string {
  return `no certificate for ${name}: ${refusal}; presented one for ${presented} instead`;
}

/** The certificate was presented but its details could not be read back for the record. */
export function explainCertificateUnreadable(name: string, error: unknown): Explained {
  return {
    code: "CERTIFICATE_UNREADABLE",
    explanation: `the certificate for ${name} was presented, but the CA could not report its details (${detail(error)}); the connection went on. Run \`switchyard ca status\` to check the CA`,
  };
}

/** A passthrough route whose upstream is this proxy. */
export function explainPassthroughLoop(host: string, upstream: string): Explained {
  return { code: "LOOP", explanation: `the passthrough route for ${host} points at this proxy itself (${upstream})` };
}
