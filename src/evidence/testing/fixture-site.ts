import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { deflateSync } from "node:zlib";

/**
 * A tiny advert site on 127.0.0.1 for capture tests, over HTTPS when given a key and certificate: a redirect, an
 * advert with an image (`/item/1001`, and variants of it at `/item/<n>`), a stall, plain text, and a redirect to
 * any URL (`/redirect?to=URL`).
 */
export interface FixtureSite {
  readonly origin: string;
  /** Responses still hanging (the stall), ended by `close`. */
  close(): Promise<void>;
}

export const advertHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Carved ivory tusk for sale</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","name":"Carved ivory tusk",
"description":"Genuine elephant ivory tusk, carved, 2 kg. Ship worldwide, pay by PayPal. WhatsApp +84 90 123 4567",
"sku":"AD-1001","offers":{"@type":"Offer","price":"1500","priceCurrency":"USD"}}</script></head>
<body><h1>Carved ivory tusk</h1><p>Genuine elephant ivory tusk, carved, 2 kg. Ship worldwide, pay by PayPal.</p>
<p>象牙 · слоновая кость</p><img src="/photo.png" alt="tusk"><script src="http://blocked.invalid/track.js"></script>
<script>document.body.insertAdjacentHTML("beforeend", "<p id=rendered>rendered by script</p>")</script>
</body></html>`;

// A 2×2 red PNG.
const photo = (() => {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(2, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.from([0, 255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
})();

export async function startFixtureSite(
  options: { tls?: { key: string; cert: string } } = {},
): Promise<FixtureSite> {
  const hanging = new Set<http.ServerResponse>();
  const handler: http.RequestListener = (request, response) => {
    const date = new Date().toUTCString();
    const { pathname, searchParams } = new URL(request.url ?? "/", "http://fixture");
    const variant = /^\/item\/(\d+)$/.exec(pathname)?.[1];
    if (variant !== undefined && variant !== "1001") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", date });
      return response.end(advertHtml.replaceAll("AD-1001", `AD-${variant}`));
    }
    if (pathname === "/redirect") {
      response.writeHead(302, { location: searchParams.get("to") ?? "/", date });
      return response.end();
    }
    switch (request.url) {
      case "/advert":
        response.writeHead(302, { location: "/item/1001", date });
        return response.end();
      case "/item/1001":
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", date, "x-fixture": "advert" });
        return response.end(advertHtml);
      case "/photo.png":
        response.writeHead(200, { "content-type": "image/png", date });
        return response.end(photo);
      case "/stall": {
        const body = Buffer.from(advertHtml);
        response.writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          "content-length": body.length,
          date,
        });
        // Half the body, then nothing: the fetcher's idle timeout ends it.
        response.write(body.subarray(0, body.length >> 1));
        hanging.add(response);
        return;
      }
      case "/notes.txt":
        response.writeHead(200, { "content-type": "text/plain; charset=utf-8", date });
        return response.end("plain notes, no advert");
      default:
        response.writeHead(404, { "content-type": "text/plain", date });
        return response.end("not found");
    }
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
