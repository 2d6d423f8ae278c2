import { ed25519 } from '@noble/curves/ed25519.js';
import type { Identity, Provider } from './identity';

/**
 * The dashboard's signed word for one action: who did it (as the identity provider told the
 * dashboard), what, and which rule allowed it. Ed25519 over the claim's exact text; the private key
 * lives in the dashboard's environment, the public key in the services file, so the pipeline can
 * check an approval without trusting whoever sent it. Verified with a pure-JS Ed25519 (@noble/curves)
 * because the workflow sandbox has no node:crypto, and a synchronous check fits an update validator.
 */
export interface Attestation {
  /** The Claim as JSON text: signed as it is, so nobody has to agree on a canonical form. */
  claim: string;
  /** base64url Ed25519 signature of the claim's UTF-8 bytes. */
  signature: string;
}

export interface Claim {
  v: 1;
  service: string;
  action: string;
  stage?: string;
  commit?: string;
  identity: Identity;
  /** The rule that allowed the action, in words (for the audit). */
  rule: string;
  /** The member of the rule that matched ("ana@acme.com", "group:sre", "heroku:deployers", "*"). */
  member?: string;
  /** ISO 8601, the dashboard's clock. */
  at: string;
}

/** How long a signed claim may travel before the pipeline takes it (a replayed old approval is refused). */
export const CLAIM_MAX_AGE_MS = 10 * 60_000;
const CLAIM_MAX_AHEAD_MS = 2 * 60_000;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    if (i + 1 < bytes.length) out += B64[(n >> 6) & 63];
    if (i + 2 < bytes.length) out += B64[n & 63];
  }
  return out;
}

/** base64 or base64url, padded or not; undefined when it is neither. */
export function fromBase64(text: string): Uint8Array | undefined {
  const clean = text.trim().replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  if (!/^[A-Za-z0-9_-]*$/.test(clean) || clean.length % 4 === 1) return undefined;
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    buffer = (buffer << 6) | B64.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 255);
    }
  }
  return Uint8Array.from(bytes);
}

/** UTF-8 without TextEncoder (the workflow sandbox need not have one). */
function utf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return Uint8Array.from(bytes);
}

/** A public key as the services file writes it (base64 of the 32 raw bytes), or why it is not one. */
export function publicKeyProblem(text: string): string | undefined {
  const bytes = fromBase64(text);
  if (!bytes || bytes.length !== 32) return 'must be an Ed25519 public key: 32 bytes in base64 (conveyor signing-key)';
  return undefined;
}

/** A new key pair: the secret for the dashboard's environment, the public key for the services file. */
export function newSigningKey(): { secretKey: string; publicKey: string } {
  const secret = ed25519.utils.randomSecretKey();
  return { secretKey: toBase64Url(secret), publicKey: toBase64Url(ed25519.getPublicKey(secret)) };
}

/** The public key of a secret key (base64), or undefined when it is not one. */
export function publicKeyOf(secretKey: string): string | undefined {
  const secret = fromBase64(secretKey);
  if (!secret || secret.length !== 32) return undefined;
  return toBase64Url(ed25519.getPublicKey(secret));
}

export function sign(claim: Claim, secretKey: string): Attestation {
  const secret = fromBase64(secretKey);
  if (!secret || secret.length !== 32)
    throw new Error('the signing key must be 32 bytes in base64 (conveyor signing-key)');
  const text = JSON.stringify(claim);
  return { claim: text, signature: toBase64Url(ed25519.sign(utf8(text), secret)) };
}

const PROVIDERS: readonly Provider[] = ['oidc', 'heroku', 'shared-token'];
const isString = (value: unknown): value is string => typeof value === 'string';

function readClaim(text: string): Claim | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const claim = value as Record<string, unknown>;
  const identity = claim.identity as Record<string, unknown> | undefined;
  if (
    claim.v !== 1 ||
    !isString(claim.service) ||
    !isString(claim.action) ||
    !isString(claim.rule) ||
    !isString(claim.at) ||
    !Number.isFinite(Date.parse(claim.at)) ||
    (claim.stage !== undefined && !isString(claim.stage)) ||
    (claim.commit !== undefined && !isString(claim.commit)) ||
    (claim.member !== undefined && !isString(claim.member)) ||
    !identity ||
    typeof identity !== 'object' ||
    !PROVIDERS.includes(identity.provider as Provider) ||
    !isString(identity.issuer) ||
    !isString(identity.subject) ||
    (identity.email !== undefined && !isString(identity.email)) ||
    !Array.isArray(identity.groups) ||
    !identity.groups.every(isString)
  )
    return undefined;
  return value as Claim;
}

/**
 * The claim an attestation carries, when one of `publicKeys` signed it and it is fresh at `now`
 * (no `now`: any age, for the audit of past actions); else why not, in words. Never throws.
 */
export function verify(
  input: unknown,
  publicKeys: readonly string[],
  now?: number,
): { ok: true; claim: Claim } | { ok: false; problem: string } {
  if (input === null || typeof input !== 'object') return { ok: false, problem: 'is not {claim, signature}' };
  const { claim: text, signature } = input as Record<string, unknown>;
  if (!isString(text) || !isString(signature)) return { ok: false, problem: 'is not {claim, signature}' };
  if (!publicKeys.length)
    return { ok: false, problem: 'cannot be checked: the services file names no access.signingKeys' };
  const bytes = fromBase64(signature);
  const message = utf8(text);
  const signed = publicKeys.some((key) => {
    const publicKey = fromBase64(key);
    if (!bytes || bytes.length !== 64 || !publicKey || publicKey.length !== 32) return false;
    try {
      return ed25519.verify(bytes, message, publicKey);
    } catch {
      return false;
    }
  });
  if (!signed) return { ok: false, problem: 'does not match any of access.signingKeys' };
  const claim = readClaim(text);
  if (!claim) return { ok: false, problem: 'carries a claim conveyor cannot read' };
  if (now === undefined) return { ok: true, claim };
  const age = now - Date.parse(claim.at);
  if (age > CLAIM_MAX_AGE_MS) return { ok: false, problem: `is from ${claim.at}, too old to act on now` };
  if (age < -CLAIM_MAX_AHEAD_MS) return { ok: false, problem: `is dated ${claim.at}, in the future` };
  return { ok: true, claim };
}
