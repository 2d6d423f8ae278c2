// The subscription sweep, the receiver's own check that Heroku will deliver: every so often (6 h by default) it reads each running
// pipeline's stage apps' webhooks (GET /apps/{app}/webhooks, one request per app) and tells each
// pipeline whose every app is subscribed to `api:release` at the receiver's public URL (signal
// `look`, source `subscription`), so an idle pipeline keeps its slow fallback poll without deliveries.
import type { Client } from '@temporalio/client';
import type Heroku from 'heroku-client';
import { lookSignal } from '../workflows/messages';
import type { AppDirectory } from './app-directory';
import type { ReceiverLog } from './receiver';

export interface SubscriptionSweepOptions {
  client: Client;
  heroku: Heroku;
  directory: AppDirectory;
  /** The URL Heroku delivers to (CONVEYOR_RECEIVER_URL), as `conveyor webhooks install --url` subscribed it. */
  url: string;
  intervalMs: number;
  log?: ReceiverLog;
}

const sameUrl = (a: string, b: string) => {
  try {
    return new URL(a).toString() === new URL(b).toString();
  } catch {
    return a === b;
  }
};

/** One round: answers the pipelines (workflow ids) told. */
export async function sweepSubscriptions(options: Omit<SubscriptionSweepOptions, 'intervalMs'>): Promise<string[]> {
  await options.directory.refresh();
  const told: string[] = [];
  for (const [workflowId, apps] of options.directory.pipelines()) {
    let all = true;
    for (const app of apps) {
      const hooks = (await options.heroku.get(`/apps/${encodeURIComponent(app)}/webhooks`)) as {
        url: string;
        include: string[];
      }[];
      if (!hooks.some((w) => sameUrl(w.url, options.url) && w.include.includes('api:release'))) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    await options.client.workflow.getHandle(workflowId).signal(lookSignal, { source: 'subscription' });
    told.push(workflowId);
  }
  return told;
}

/** Sweeps now and every `intervalMs` until stopped; a failed round is logged and tried next time. */
export function startSubscriptionSweep(options: SubscriptionSweepOptions): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const round = async () => {
    try {
      const told = await sweepSubscriptions(options);
      options.log?.('debug', 'webhook subscriptions swept', { pipelines: told.length });
    } catch (error) {
      options.log?.('warn', 'could not read the webhook subscriptions; trying again later', {
        error: String((error as Error)?.message ?? error).split('\n')[0],
      });
    }
    if (!stopped) timer = setTimeout(() => void round(), options.intervalMs).unref();
  };
  void round();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
