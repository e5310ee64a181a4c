import { findPatternSignals } from "../detect/signals.ts";
import { nameKey } from "../text/normalize.ts";

/**
 * Who is selling, as keys that compare equal across platforms: the phone numbers and messenger handles in the
 * advert, and the seller's name on the platform. A seller whose advert was removed often posts again under the same
 * WhatsApp number or Telegram handle on another site.
 *
 * - `phone:` + the last 9 digits: "+84 912 345 678", "0912 345 678" and "84912345678" are one number written with
 *   and without the country code; 9 digits are what national numbers have after the trunk prefix in most countries.
 * - `handle:` + the handle lower-cased without "@": the same handle on WhatsApp, Telegram or Line.
 * - `seller:` + the seller name as a name key without spaces, from 4 characters, unless it is a placeholder.
 */

const placeholderSellers = new Set([
  "admin",
  "anonymous",
  "guest",
  "member",
  "owner",
  "private",
  "privateseller",
  "seller",
  "shop",
  "store",
  "unknown",
  "user",
  "vendor",
]);

// The app's name and what separates it from the handle. A separator is required: the contact pattern also matches
// inside words ("water" reads as "wa" + "ter"), and such a key would link every advert that mentions water.
const messengerPrefix =
  /^(?:whats\s?app|wa|wechat|weixin|微信|vx|telegram|tg|line\s?id|line|zalo|kakao(?:talk)?|signal|viber|wickr)(?:\s*[:：]\s*|\s+)/iu;

export function phoneKey(text: string): string | undefined {
  const digits = text.replace(/\D/g, "");
  return digits.length >= 9 && digits.length <= 15 ? `phone:${digits.slice(-9)}` : undefined;
}

export function sellerKeys(advert: {
  readonly seller?: string | null;
  readonly title?: string | null;
  readonly text: string;
}): string[] {
  const keys = new Set<string>();
  for (const part of [advert.title ?? "", advert.text]) {
    for (const signal of findPatternSignals(part)) {
      if (signal.kind !== "contact") continue;
      const phone = phoneKey(signal.text);
      if (phone) {
        keys.add(phone);
        continue;
      }
      const prefix = messengerPrefix.exec(signal.text);
      if (!prefix) continue;
      const handle = signal.text.slice(prefix[0].length).replace(/^@/, "").toLowerCase();
      if (handle.length >= 3) keys.add(`handle:${handle}`);
    }
  }
  const seller = advert.seller ? nameKey(advert.seller).replaceAll(" ", "") : "";
  if ([...seller].length >= 4 && !placeholderSellers.has(seller)) keys.add(`seller:${seller}`);
  return [...keys].sort();
}
