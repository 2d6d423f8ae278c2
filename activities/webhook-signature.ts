import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a check webhook receives: `sha256=` and the hex HMAC-SHA256 of the raw body. */
export const SIGNATURE_HEADER = 'Conveyor-Signature';

export const signBody = (secret: string, rawBody: string | Buffer): string =>
  `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;

/**
 * Whether `header` is conveyor's signature of `rawBody` (the bytes as received, before parsing).
 * Compared in constant time, so a forger learns nothing from how long a refusal takes.
 */
export function verifySignature(secret: string, rawBody: string | Buffer, header: string | null | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(secret, rawBody));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
