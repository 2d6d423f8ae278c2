import { log } from '@temporalio/activity';
import type { Notice } from '../domain/notice';

export interface NotifyTargets {
  /** A Slack-compatible incoming webhook: receives {text}. A secret: from the worker's environment. */
  slackWebhookUrl?: string;
  /** A generic JSON webhook: receives the Notice itself. */
  webhookUrl?: string;
  timeoutMs?: number;
}

export interface Delivery {
  delivered: number;
  failed: string[];
}

/** Notifications adapter. A failing endpoint is logged and reported, never thrown: it must not hold up a pipeline. */
export function notifyActivities(targets: NotifyTargets, fetchImpl: typeof fetch = fetch) {
  const timeoutMs = targets.timeoutMs ?? 5_000;

  async function post(name: string, url: string, body: unknown): Promise<string | undefined> {
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? undefined : `${name} answered ${response.status}`;
    } catch (error) {
      return `${name} unreachable: ${(error as Error).message}`;
    }
  }

  async function notify(notices: Notice[]): Promise<Delivery> {
    const failed: string[] = [];
    let delivered = 0;
    for (const notice of notices) {
      const sends: Promise<string | undefined>[] = [];
      if (targets.slackWebhookUrl) sends.push(post('Slack webhook', targets.slackWebhookUrl, { text: notice.text }));
      if (targets.webhookUrl) sends.push(post('notification webhook', targets.webhookUrl, notice));
      for (const problem of await Promise.all(sends)) {
        if (problem) failed.push(problem);
        else delivered++;
      }
    }
    if (failed.length) log.warn('notifications not delivered', { failed });
    return { delivered, failed };
  }

  return { notify };
}
