// A conveyor check webhook: verifies Conveyor-Signature, then answers {ok, reason} for each promotion.
// CONVEYOR_WEBHOOK_SECRET=... [FREEZE_REASON='launch day'] [PORT=8787] node examples/webhook-receiver.js
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.CONVEYOR_WEBHOOK_SECRET ?? '';
const signedBy = (raw, header = '') => {
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  return Buffer.byteLength(header) === want.length && timingSafeEqual(Buffer.from(header), want);
};
const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const raw = Buffer.concat(chunks); // verify the bytes as sent, before parsing
  if (!secret || !signedBy(raw, req.headers['conveyor-signature'])) return res.writeHead(401).end();
  const { target, commit } = JSON.parse(raw.toString('utf8'));
  const frozen = process.env.FREEZE_REASON && target.endsWith('-eu01'); // your policy goes here
  const answer = frozen
    ? { ok: false, reason: `${process.env.FREEZE_REASON}: ${commit?.slice(0, 7)} waits` }
    : { ok: true };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
});
server.listen(Number(process.env.PORT ?? 8787), '127.0.0.1', () =>
  console.log(`listening on http://127.0.0.1:${server.address().port}/`),
);
