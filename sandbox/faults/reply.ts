import type { ServerResponse } from 'node:http';
import type { Reply } from '../http';

/**
 * Answers that `send` cannot express (it always sends valid JSON): a body that is not JSON, and no
 * answer at all. A fault marks its Reply with one of these; the mark is a symbol-keyed property, so it
 * survives the APIs' `{...reply, headers}` and reaches `server.ts`, which calls `sendBroken`.
 */
export type Broken =
  /** The socket is destroyed without a byte of answer: the client sees "socket hang up" / "other side closed". */
  | { kind: 'destroy' }
  /** `text` is sent as the body, with the reply's status and headers, a JSON Content-Type and a correct Content-Length. */
  | { kind: 'raw'; text: string };

const BROKEN = Symbol('sandbox.broken-reply');

type BrokenReply = Reply & { [BROKEN]?: Broken };

export function brokenReply(reply: Reply, broken: Broken): Reply {
  return Object.assign({ ...reply }, { [BROKEN]: broken });
}

/** No answer: the socket is destroyed. */
export const destroyed = (): Reply => brokenReply({ status: 0 }, { kind: 'destroy' });

/**
 * Sends a broken reply and answers true, or answers false for an ordinary one (to be `send`-ed).
 * A raw body always goes out whole, with its length: a connection closed half-way through a body
 * would leave heroku-client 3.1.4 waiting for ever (it never settles when the response stream aborts).
 */
export function sendBroken(res: ServerResponse, reply: Reply): boolean {
  const broken = (reply as BrokenReply)[BROKEN];
  if (!broken) return false;
  if (broken.kind === 'destroy') {
    res.socket?.destroy();
    return true;
  }
  res.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(broken.text),
  });
  res.end(broken.text);
  return true;
}
