import { X509Certificate } from "node:crypto";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";

/** One certificate of a server's chain, as evidence needs it: enough to name it, and its bytes to re-check it. */
export interface PeerCertificate {
  /** One `name=value` attribute per line, as OpenSSL prints them. */
  readonly subject: string;
  readonly issuer: string;
  /** Hexadecimal. */
  readonly serialNumber: string;
  /** ISO 8601 UTC. */
  readonly validFrom: string;
  readonly validTo: string;
  /** Colon-separated upper-case hex, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly sha256Fingerprint: string;
  readonly derBase64: string;
}

/** What a TLS connection showed when it was set up: protocol, cipher, and the chain leaf first. */
export interface TlsPeer {
  readonly protocol: string | null;
  readonly cipher: string;
  /** Leaf first, then each issuer, up to the root the chain was verified against when the trust store holds it. */
  readonly certificates: readonly PeerCertificate[];
}

// One description per connection: a kept-alive socket serves later requests with the chain seen at its handshake.
const peersBySocket = new WeakMap<TLSSocket, TlsPeer>();

/**
 * The peer of a connected TLS socket. Call it once the handshake is done and before the socket is released: a
 * closed socket has no peer any more, and a resumed session carries no chain (so recording agents resume none).
 */
export function tlsPeerOf(socket: TLSSocket): TlsPeer {
  let peer = peersBySocket.get(socket);
  if (!peer) {
    peer = {
      protocol: socket.getProtocol(),
      cipher: socket.getCipher().standardName,
      certificates: chainOf(socket.getPeerCertificate(true)),
    };
    peersBySocket.set(socket, peer);
  }
  return peer;
}

function chainOf(leaf: DetailedPeerCertificate): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  const seen = new Set<string>();
  // A root's issuerCertificate is itself: stop at the first certificate met twice.
  for (
    let current: DetailedPeerCertificate | undefined = leaf;
    current?.raw;
    current = current.issuerCertificate
  ) {
    if (seen.has(current.fingerprint256)) break;
    seen.add(current.fingerprint256);
    const certificate = new X509Certificate(current.raw);
    chain.push({
      subject: certificate.subject,
      issuer: certificate.issuer,
      serialNumber: certificate.serialNumber,
      validFrom: certificate.validFromDate.toISOString(),
      validTo: certificate.validToDate.toISOString(),
      sha256Fingerprint: certificate.fingerprint256,
      derBase64: current.raw.toString("base64"),
    });
  }
  return chain;
}
