import { Command, CommanderError } from 'commander';
import { userInfo } from 'node:os';
import { ConfigError, loadServices } from '../config/load';
import { SettingsError } from '../worker/settings';
import { addConnectionOptions, connectClient, temporalSettings, workerSettings } from './connection';
import { UserError } from './errors';
import { formatList, formatStatus } from './format';
import {
  applyServices,
  currentFreeze,
  freezeAll,
  listPipelines,
  pausePipeline,
  pipelineStatus,
  promoteManually,
  rejectCommit,
  resumePipeline,
  unfreezeAll,
  unrejectCommit,
  approveRelease,
} from './pipelines';

const print = (value: unknown, json: boolean, text: () => string) => console.log(json ? JSON.stringify(value, null, 2) : text());
const whoami = () => process.env.CONVEYOR_USER || userInfo().username;

export function buildProgram(): Command {
  const program = new Command('conveyor')
    .description('Continuous delivery for Heroku pipelines: one durable Temporal workflow per service.')
    .showHelpAfterError('(conveyor --help lists the commands)')
    .addHelpText(
      'after',
      '\nEnvironment: TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default), CONVEYOR_TASK_QUEUE (conveyor),\n' +
        'HEROKU_API_KEY, HEROKU_API_URL, GITHUB_TOKEN, GITHUB_API_URL (the worker needs the keys).',
    );
  addConnectionOptions(program);

  program
    .command('worker')
    .description('run a worker: the pipelines execute here, with the Heroku and GitHub tokens of this environment')
    .action(async () => {
      const { runWorker } = await import('./run-worker');
      await runWorker(workerSettings());
    });

  program
    .command('apply')
    .description('validate a services file, check each stage app is coupled, start missing pipelines and update running ones')
    .requiredOption('-f, --file <file>', 'services file (JSON)')
    .option('--skip-coupling-check', 'do not ask Heroku whether the stage apps are coupled')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { file: string; skipCouplingCheck?: boolean; json?: boolean }) => {
      const services = loadServices(opts.file);
      if (!opts.skipCouplingCheck) {
        const { checkCouplings } = await import('./couplings');
        await checkCouplings(services);
      }
      const settings = temporalSettings();
      const client = await connectClient(settings);
      const applied = await applyServices(client, services, settings.taskQueue);
      print(applied, !!opts.json, () => applied.map((a) => `${a.action} ${a.workflowId}`).join('\n'));
    });

  program
    .command('list')
    .description('list the running pipelines')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const pipelines = await listPipelines(await connectClient(temporalSettings()));
      print(pipelines, !!opts.json, () => formatList(pipelines));
    });

  program
    .command('status')
    .description('show a pipeline: stages, commits, gate verdicts, promotions')
    .argument('<service>')
    .option('--json', 'print the status query result as JSON')
    .action(async (service: string, opts: { json?: boolean }) => {
      const status = await pipelineStatus(await connectClient(temporalSettings()), service);
      print(status, !!opts.json, () => formatStatus(status));
    });

  program
    .command('pause')
    .description('stop promotions for a service until resumed (promotions in flight finish)')
    .argument('<service>')
    .requiredOption('--reason <text>', 'why; shown in status and the Web UI')
    .option('--by <name>', 'who (default: your user name)')
    .action(async (service: string, opts: { reason: string; by?: string }) => {
      if (!opts.reason.trim()) throw new UserError('--reason must not be empty');
      await pausePipeline(await connectClient(temporalSettings()), service, { reason: opts.reason, by: opts.by ?? whoami() });
      console.log(`paused ${service}`);
    });

  program
    .command('resume')
    .description('let promotions go again')
    .argument('<service>')
    .option('--by <name>', 'who (default: your user name)')
    .action(async (service: string, opts: { by?: string }) => {
      await resumePipeline(await connectClient(temporalSettings()), service, opts.by ?? whoami());
      console.log(`resumed ${service}`);
    });

  program
    .command('freeze')
    .description('stop promotions in every pipeline (services with ignoreFreeze excepted) until unfreeze')
    .requiredOption('--reason <text>', 'why; shown in every status')
    .option('--by <name>', 'who (default: your user name)')
    .action(async (opts: { reason: string; by?: string }) => {
      if (!opts.reason.trim()) throw new UserError('--reason must not be empty');
      const settings = temporalSettings();
      await freezeAll(await connectClient(settings), settings.taskQueue, { reason: opts.reason, by: opts.by ?? whoami() });
      console.log('frozen: every pipeline holds its promotions');
    });

  program
    .command('unfreeze')
    .description('end the company-wide freeze')
    .option('--by <name>', 'who (default: your user name)')
    .action(async (opts: { by?: string }) => {
      const settings = temporalSettings();
      await unfreezeAll(await connectClient(settings), settings.taskQueue, opts.by ?? whoami());
      console.log('unfrozen');
    });

  program
    .command('frozen')
    .description('show the company-wide freeze, if any')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const freeze = await currentFreeze(await connectClient(temporalSettings()));
      print(freeze, !!opts.json, () => (freeze ? `frozen by ${freeze.by} since ${freeze.since}: ${freeze.reason}` : 'not frozen'));
    });

  program
    .command('promote')
    .description('promote into a stage now, by hand: overrules the waiting gates (pause, freeze, window, age); --skip-gates overrules all')
    .argument('<service>')
    .requiredOption('--to <stage>', 'target stage (app name)')
    .requiredOption('--reason <text>', 'why; recorded in status and history')
    .option('--by <name>', 'who (default: your user name)')
    .option('--skip-gates', 'overrule every gate, safety gates included')
    .option('--json', 'print the outcome as JSON')
    .action(async (service: string, opts: { to: string; reason: string; by?: string; skipGates?: boolean; json?: boolean }) => {
      const outcome = await promoteManually(await connectClient(temporalSettings()), service, {
        to: opts.to,
        reason: opts.reason,
        by: opts.by ?? whoami(),
        skipGates: !!opts.skipGates,
      });
      print(outcome, !!opts.json, () => outcome.message);
      if (!outcome.started) process.exitCode = 1;
    });

  program
    .command('reject')
    .description('hold a known-bad release (by commit) from ever being promoted, until unreject')
    .argument('<service>')
    .requiredOption('--commit <sha>', 'commit sha, 7 to 40 hex digits')
    .requiredOption('--reason <text>', 'why')
    .option('--by <name>', 'who (default: your user name)')
    .action(async (service: string, opts: { commit: string; reason: string; by?: string }) => {
      console.log(await rejectCommit(await connectClient(temporalSettings()), service, { commit: opts.commit, reason: opts.reason, by: opts.by ?? whoami() }));
    });

  program
    .command('unreject')
    .description('let a rejected release be promoted again')
    .argument('<service>')
    .requiredOption('--commit <sha>', 'the rejected commit')
    .option('--by <name>', 'who (default: your user name)')
    .action(async (service: string, opts: { commit: string; by?: string }) => {
      console.log(await unrejectCommit(await connectClient(temporalSettings()), service, opts.commit, opts.by ?? whoami()));
    });

  program
    .command('approve')
    .description('approve the release waiting at a stage\'s approval gate')
    .argument('<service>')
    .requiredOption('--to <stage>', 'the stage it waits to enter')
    .option('--commit <sha>', 'the commit approved (default: the one waiting)')
    .option('--by <name>', 'who approves (default: your user name)')
    .option('--comment <text>', 'a note kept with the approval')
    .action(async (service: string, opts: { to: string; commit?: string; by?: string; comment?: string }) => {
      console.log(
        await approveRelease(await connectClient(temporalSettings()), service, {
          stage: opts.to,
          by: opts.by ?? whoami(),
          ...(opts.commit ? { commit: opts.commit } : {}),
          ...(opts.comment ? { comment: opts.comment } : {}),
        }),
      );
    });

  program
    .command('sandbox')
    .description('run the local Heroku/GitHub stand-in until Ctrl-C')
    .option('--port <port>', 'port on 127.0.0.1 (default: any free one)', (v) => {
      const port = Number(v);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port: "${v}" is not a port number`);
      return port;
    })
    .option('--scenario <file>', 'scenario file (JSON) to load')
    .action(async (opts: { port?: number; scenario?: string }) => {
      const { runSandboxCommand } = await import('../sandbox/main');
      await runSandboxCommand(opts);
    });

  program
    .command('dashboard')
    .description('serve the web dashboard (fleet, services, live; actions with CONVEYOR_DASHBOARD_TOKEN) until Ctrl-C')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--port <port>', 'port (default 8234; 0 = any free one)')
    .option('--temporal-ui <url>', 'Temporal Web UI to link to (env TEMPORAL_UI_URL)')
    .action(async (opts: { host?: string; port?: string; temporalUi?: string }) => {
      const { runDashboard } = await import('../dashboard/main');
      await runDashboard(temporalSettings(), opts);
    });

  program
    .command('demo')
    .description('the whole thing on this machine: dev server, sandbox, worker, example services and merges (npm start)')
    .action(async () => {
      const { runDemo } = await import('./demo');
      await runDemo();
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof UserError || error instanceof SettingsError) console.error(`conveyor: ${error.message}`);
    else if (error instanceof ConfigError) console.error(error.message);
    else console.error(`conveyor: ${(error as Error).stack ?? error}`);
    return 1;
  }
}
