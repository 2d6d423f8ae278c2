import { Command, CommanderError, Option } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writableFolder } from '../client/files';
import type { Client } from '@temporalio/client';
import { ConfigError, loadServices } from '../config/load';
import { servicesJsonSchemaText } from '../config/json-schema';
import { newSigningKey } from '../domain/attestation';
import { appsNamed } from '../domain/override';
import { formatAudit, parseSince, readAudit } from '../client/audit';
import type { Service } from '../domain/service';
import { SettingsError } from '../config/settings-error';
import { addConnectionOptions, connectClient, temporalSettings, workerSettings } from '../client/connection';
import {
  didYouMean,
  EXIT,
  explainTemporalError,
  noWorkerError,
  UnreachableError,
  UsageError,
  UserError,
  type Where,
} from '../client/errors';
import { explainWhy, formatApplied, formatList, formatPlan, formatStatus, showTimesIn, when } from '../client/format';
import { askYes, colorsOn, identity, note, painter, slow } from '../client/terminal';
import { bashCompletion, zshCompletion } from '../client/completion';
import {
  actThroughDashboard,
  credentialPath,
  forgetCredential,
  login,
  readCredential,
  type Credential,
} from '../client/dashboard-login';
import {
  applyServices,
  approveRelease,
  currentFreeze,
  freezeAll,
  hasWorker,
  listPipelines,
  notInFile,
  pausePipeline,
  pipelineStatus,
  planServices,
  promoteManually,
  rejectCommit,
  resumePipeline,
  retryRelease,
  stopPipelines,
  unfreezeAll,
  unrejectCommit,
} from '../client/pipelines';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** What this run prints to: one JSON document with --json, else text, coloured only on a terminal. */
const io = { json: false, paint: painter(false) };
/** The Temporal target of this run, for error messages that name it. */
let where: Where = {};

const print = (value: unknown, text: () => string) => console.log(io.json ? JSON.stringify(value, null, 2) : text());

/** A Temporal client; failing to connect is exit 3, whatever the reason. */
async function connect(): Promise<{ client: Client; taskQueue: string }> {
  const settings = temporalSettings();
  where = { address: settings.address, namespace: settings.namespace, taskQueue: settings.taskQueue };
  try {
    return { client: await connectClient(settings), taskQueue: settings.taskQueue };
  } catch (error) {
    if (error instanceof UserError && !(error instanceof UnreachableError)) throw new UnreachableError(error.message);
    throw error;
  }
}

/**
 * Updates wait for the workflow's answer. A worker that polled a minute ago and died still counts
 * as polling, so an answer that never comes ends after two minutes, in one line, not never.
 */
const answered = <T>(client: Client, work: () => Promise<T>, ms = 120_000): Promise<T> =>
  client.connection.withDeadline(Date.now() + ms, work);

const by = (flag: string | undefined) => identity(flag).by;

/**
 * Logged in (conveyor login): the action goes through the dashboard, as the person it verified,
 * with their roles checked there. Not logged in: straight to Temporal, administrator access.
 */
function viaDashboard(byFlag: string | undefined): Credential | undefined {
  const credential = readCredential();
  if (credential && byFlag)
    throw new UsageError(
      `--by: you are logged in to ${credential.dashboard} as ${credential.name}, which it records; conveyor logout to act straight on Temporal`,
    );
  return credential;
}
/** Sends the action through the dashboard and prints its answer; a refusal names the rule (exit 1). */
async function dashboardAction(
  credential: Credential,
  action: string,
  request: Record<string, string | boolean | undefined>,
  result: Record<string, unknown>,
): Promise<void> {
  const done = await actThroughDashboard(credential, action, request);
  print(
    { ...result, by: done.by, rule: done.rule, message: done.message, via: credential.dashboard },
    () => done.message,
  );
  if (!done.ok) process.exitCode = EXIT.refused;
}
const reasonRequired = (reason: string) => {
  if (!reason.trim()) throw new UsageError('--reason must not be empty');
  return reason;
};
const byOption = () =>
  new Option('--by <who>', 'who, for the audit record (default: CONVEYOR_USER, else git config user.email)');

/**
 * A stage the service promotes into (every stage but the first), or a usage error naming the ones
 * it has and the one meant. Asked of the running pipeline, so it checks its config in force.
 */
async function targetStage(client: Client, service: string, flag: string, stage: string): Promise<void> {
  const targets = (await pipelineStatus(client, service)).stages.slice(1).map((s) => s.stage);
  if (!targets.includes(stage))
    throw new UsageError(
      `${flag}: "${stage}" is not a stage ${service} promotes into${didYouMean(stage, targets)} (stages: ${targets.join(', ')})`,
    );
}

/**
 * Commander reports a missing required flag before an unknown one, so a misspelt `--reasn` read as
 * a missing `--reason`, with no hint. The unknown flag is reported first, with commander's suggestion.
 */
function unknownFlagsFirst(command: Command): void {
  // Commander's own reporters (not in its typings; commander 14 calls them from _parseCommand).
  const internal = command as unknown as {
    missingMandatoryOptionValue(option: Option): never;
    unknownOption(flag: string): never;
  };
  const reportMissing = internal.missingMandatoryOptionValue.bind(command);
  internal.missingMandatoryOptionValue = (option) => {
    const unknown = command.args.find((arg) => {
      const flag = arg.split('=')[0];
      return arg.startsWith('-') && arg !== '-' && !command.options.some((o) => o.long === flag || o.short === flag);
    });
    if (unknown) internal.unknownOption(unknown);
    return reportMissing(option);
  };
  command.commands.forEach(unknownFlagsFirst);
}

/** Reads the services file; its problems are exit 2. */
const servicesOf = (file: string): Service[] => loadServices(file);

export function buildProgram(): Command {
  const program = new Command('conveyor')
    .description('Continuous delivery for Heroku pipelines: one durable Temporal workflow per service.')
    .version(VERSION, '-v, --version', 'print the version')
    .addOption(new Option('--json', 'print one JSON document (errors too, as {"error": {...}})'))
    .addOption(new Option('--utc', "show times in UTC (default: this machine's time zone)"))
    .showHelpAfterError('(conveyor --help lists the commands)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeErr: (text) => (io.json ? undefined : process.stderr.write(text)),
      // One prefix for every error, commander's included.
      outputError: (text, write) => write(text.replace(/^error: /, 'conveyor: ')),
    })
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 refused or failed, 2 usage or bad input, 3 cannot reach Temporal or Heroku.\n' +
        'Environment: TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default), CONVEYOR_TASK_QUEUE (conveyor),\n' +
        'CONVEYOR_USER (who you are in audit records), NO_COLOR, HEROKU_API_KEY, HEROKU_API_URL, GITHUB_TOKEN, GITHUB_API_URL.',
    );
  addConnectionOptions(program);
  program.hook('preAction', (root) => {
    io.json = !!root.opts().json;
    io.paint = painter(!io.json && colorsOn());
    showTimesIn(root.opts().utc ? 'utc' : 'local');
  });

  program
    .command('worker')
    .description('run a worker: the pipelines execute here, with the Heroku and GitHub tokens of this environment')
    .action(async () => {
      const { runWorker } = await import('../client/run-worker');
      await runWorker(workerSettings());
    });

  program
    .command('setup')
    .description(
      "prepare the Temporal namespace (all of conveyor's search attributes at once; the tcld command on Temporal Cloud) and check the tokens",
    )
    .option('-f, --file <file>', 'services file: check that the tokens can read each pipeline and repository')
    .option(
      '--check',
      'change nothing: fail, in one line each, on a bad setting, a missing namespace or search attribute, a refused token (the release phase)',
    )
    .action(async (opts: { file?: string; check?: boolean }) => {
      const services = opts.file ? servicesOf(opts.file) : [];
      if (opts.check) {
        // Every setting the worker and the web process read, checked before they start.
        workerSettings();
        const { webSettings } = await import('../dashboard/web-settings');
        webSettings();
      }
      const { client } = await connect();
      const { prepareNamespace, checkTokens } = await import('../client/setup');
      const namespace = client.options.namespace;
      try {
        await client.workflowService.describeNamespace({ namespace });
      } catch (error) {
        if ((error as { code?: number }).code === 5)
          throw new UserError(
            `namespace "${namespace}" does not exist at ${where.address} (TEMPORAL_NAMESPACE; on Temporal Cloud: <name>.<account id>)`,
          );
        throw error;
      }
      const setup = await prepareNamespace(client, where.address ?? '', { check: opts.check });
      const tokens = process.env.HEROKU_API_KEY || services.length ? await checkTokens(services) : [];
      const failed = setup.missing.length > 0 || tokens.some((t) => !t.ok);
      print({ ...setup, tokens, ready: !failed }, () =>
        [
          setup.added.length
            ? `namespace ${namespace}: added search attributes ${setup.added.join(', ')}`
            : setup.missing.length
              ? `namespace ${namespace}: missing search attributes ${setup.missing.join(', ')}: ${setup.tcld ? `add them with\n  ${setup.tcld}` : 'conveyor setup adds them'}`
              : `namespace ${namespace}: search attributes ${setup.present.join(', ')} are there`,
          ...tokens.map((t) => `${t.api} ${t.subject}: ${t.ok ? 'ok' : t.problem}`),
        ].join('\n'),
      );
      if (failed) process.exitCode = EXIT.refused;
    });

  program
    .command('schema')
    .description(
      'print the JSON Schema of the services file (editors complete and check files that name it in $schema)',
    )
    .option('-o, --out <file>', 'write it to this file (its folder is made when missing) instead of stdout')
    .action((opts: { out?: string }) => {
      if (!opts.out) return void process.stdout.write(servicesJsonSchemaText());
      writableFolder(dirname(resolve(opts.out)), 'schema --out');
      writeFileSync(opts.out, servicesJsonSchemaText());
      print({ file: opts.out, written: true }, () => `wrote ${opts.out}`);
    });

  program
    .command('validate')
    .description(
      'check a services file: schema and cross-field rules offline; with HEROKU_API_KEY the couplings, with GITHUB_TOKEN the repositories',
    )
    .requiredOption('-f, --file <file>', 'services file (.yaml, .yml or .json)')
    .option('--offline', 'check the file only, even when tokens are set')
    .action(async (opts: { file: string; offline?: boolean }) => {
      const services = servicesOf(opts.file);
      const checked = {
        file: true,
        couplings: !opts.offline && !!process.env.HEROKU_API_KEY,
        repos: !opts.offline && !!process.env.GITHUB_TOKEN,
      };
      const { checkCouplings, checkRepos } = await import('../client/couplings');
      const problems = [
        ...(checked.couplings
          ? await slow(`checking the couplings of ${services.length} services with Heroku`, () =>
              checkCouplings(services),
            )
          : []),
        ...(checked.repos
          ? await slow(`checking ${services.length} repositories with GitHub`, () => checkRepos(services))
          : []),
      ];
      if (problems.length)
        throw Object.assign(new UserError(problems.join('\n')), { details: { file: opts.file, problems } });
      const skipped = [
        !checked.couplings && 'couplings (set HEROKU_API_KEY)',
        !checked.repos && 'repositories (set GITHUB_TOKEN)',
      ].filter(Boolean);
      print(
        { file: opts.file, valid: true, services: services.map((s) => s.name), checked },
        () =>
          `${opts.file}: ${services.length} service${services.length === 1 ? '' : 's'} valid` +
          (skipped.length ? ` (not checked: ${skipped.join(', ')})` : ' (couplings and repositories checked)'),
      );
    });

  program
    .command('plan')
    .description(
      'dry run of apply: which pipelines would start, change or stop, and what each pair would do now under the new config',
    )
    .requiredOption('-f, --file <file>', 'services file (.yaml, .yml or .json)')
    .action(async (opts: { file: string }) => {
      const services = servicesOf(opts.file);
      const { client, taskQueue } = await connect();
      const plan = await slow('asking the running pipelines', () => planServices(client, services, taskQueue));
      print({ file: opts.file, ...plan }, () => formatPlan(plan, Date.now(), io.paint));
    });

  program
    .command('apply')
    .description(
      'validate a services file, check each stage app is coupled, start missing pipelines, reconfigure changed ones (refusals are reported)',
    )
    .requiredOption('-f, --file <file>', 'services file (.yaml, .yml or .json)')
    .option('--skip-coupling-check', 'do not ask Heroku whether the stage apps are coupled')
    .option('--prune', 'stop the running pipelines the file no longer names (asks first; --yes without a terminal)')
    .option('-y, --yes', 'answer yes to the --prune question')
    .addOption(byOption())
    .action(
      async (opts: { file: string; skipCouplingCheck?: boolean; prune?: boolean; yes?: boolean; by?: string }) => {
        const services = servicesOf(opts.file);
        if (!opts.skipCouplingCheck) {
          const { checkCouplings } = await import('../client/couplings');
          const problems = await slow(`checking the couplings of ${services.length} services with Heroku`, () =>
            checkCouplings(services),
          );
          if (problems.length)
            throw Object.assign(new UserError(problems.join('\n')), { details: { file: opts.file, problems } });
        }
        const { client, taskQueue } = await connect();
        // Started with nobody to run them, pipelines would look applied and do nothing: say so first.
        const workerPolling = await hasWorker(client, taskQueue);
        if (!workerPolling)
          note(
            `warning: no worker polls task queue "${taskQueue}": new pipelines start but nothing runs them, and a changed one waits, until a worker does (conveyor worker; on Heroku: heroku ps:scale worker=1)`,
          );
        const applied = await slow('starting and reconfiguring pipelines', () =>
          answered(client, () => applyServices(client, services, taskQueue), 600_000),
        );
        const stale = await notInFile(client, services);
        let stopped: string[] = [];
        if (opts.prune && stale.length) {
          const who = by(opts.by);
          if (
            await askYes(
              `stop ${stale.length} pipeline${stale.length === 1 ? '' : 's'} not in ${opts.file} (${stale.join(', ')})?`,
              { yes: opts.yes },
            )
          )
            stopped = await stopPipelines(client, stale, who);
          else note('nothing stopped');
        }
        print(
          {
            file: opts.file,
            services: applied,
            notInFile: stale.filter((n) => !stopped.includes(n)),
            stopped,
            workerPolling,
          },
          () => formatApplied(applied, stale, stopped, io.paint),
        );
        if (applied.some((a) => a.action === 'refused')) process.exitCode = EXIT.refused;
      },
    );

  program
    .command('list')
    .description('list the running pipelines')
    .action(async () => {
      const { client, taskQueue } = await connect();
      const pipelines = await listPipelines(client);
      if (pipelines.length && !(await hasWorker(client, taskQueue))) note(noWorkerError({ taskQueue }).message);
      print(pipelines, () => formatList(pipelines));
    });

  program
    .command('status')
    .description('show a pipeline: stages, commits, gate verdicts, promotions')
    .argument('<service>')
    .action(async (service: string) => {
      const { client } = await connect();
      const status = await pipelineStatus(client, service);
      print(status, () => formatStatus(status, Date.now(), io.paint));
    });

  program
    .command('why')
    .description(
      "why isn't my change moving: which gate holds, since when, what would open it, what to run to override",
    )
    .argument('<service>')
    .option('--to <stage>', 'ask about the promotion into this stage (default: where the newest change waits)')
    .action(async (service: string, opts: { to?: string }) => {
      const { client } = await connect();
      const status = await pipelineStatus(client, service);
      const targets = status.stages.slice(1).map((s) => s.stage);
      if (opts.to && !targets.includes(opts.to)) {
        throw new UsageError(
          `--to: "${opts.to}" is not a stage ${service} promotes into${didYouMean(opts.to, targets)} (stages: ${targets.join(', ')})`,
        );
      }
      const why = explainWhy(status, opts.to);
      print(why, () => why.text);
    });

  program
    .command('pause')
    .description(
      'stop promotions for a service until resumed (promotions in flight finish); --stage holds one app alone',
    )
    .argument('<service>')
    .requiredOption('--reason <text>', 'why; shown in status and the Web UI')
    .option('--stage <app>', 'hold only this app (e.g. one app of a wave); the rest of the pipeline goes on')
    .addOption(byOption())
    .action(async (service: string, opts: { reason: string; by?: string; stage?: string }) => {
      const stage = opts.stage?.trim();
      if (opts.stage !== undefined && !stage) throw new UsageError('--stage must not be empty');
      const done = stage ? { stage, held: true } : { paused: true };
      const credential = viaDashboard(opts.by);
      if (credential)
        return dashboardAction(
          credential,
          'pause',
          { service, reason: reasonRequired(opts.reason), ...(stage ? { stage } : {}) },
          { service, ...done },
        );
      const request = { reason: reasonRequired(opts.reason), by: by(opts.by), ...(stage ? { stage } : {}) };
      const { client } = await connect();
      if (stage) await targetStage(client, service, '--stage', stage);
      await pausePipeline(client, service, request);
      print({ service, ...done, ...request }, () => (stage ? `held ${stage} in ${service}` : `paused ${service}`));
    });

  program
    .command('resume')
    .description('let promotions go again: the pipeline and every app held alone, or with --stage that app only')
    .argument('<service>')
    .option('--stage <app>', 'lift only the hold of this app (an app of a wave held after its verification failed)')
    .addOption(byOption())
    .action(async (service: string, opts: { by?: string; stage?: string }) => {
      const stage = opts.stage?.trim();
      if (opts.stage !== undefined && !stage) throw new UsageError('--stage must not be empty');
      const credential = viaDashboard(opts.by);
      if (credential)
        return dashboardAction(
          credential,
          'resume',
          { service, ...(stage ? { stage } : {}) },
          { service, ...(stage ? { stage, held: false } : { paused: false }) },
        );
      const who = by(opts.by);
      const { client } = await connect();
      if (stage) {
        const held = Object.keys((await pipelineStatus(client, service)).held ?? {});
        if (!held.includes(stage))
          throw new UsageError(
            `--stage: ${stage} is not held alone in ${service}${held.length ? ` (held: ${held.join(', ')})` : ' (no app is)'}`,
          );
      }
      await resumePipeline(client, service, who, stage);
      print({ service, ...(stage ? { stage, held: false } : { paused: false }), by: who }, () =>
        stage ? `resumed ${stage} in ${service}` : `resumed ${service}`,
      );
    });

  program
    .command('freeze')
    .description('stop promotions in every pipeline (services with ignoreFreeze excepted) until unfreeze')
    .requiredOption('--reason <text>', 'why; shown in every status')
    .addOption(byOption())
    .action(async (opts: { reason: string; by?: string }) => {
      const credential = viaDashboard(opts.by);
      if (credential)
        return dashboardAction(credential, 'freeze', { reason: reasonRequired(opts.reason) }, { frozen: true });
      const request = { reason: reasonRequired(opts.reason), by: by(opts.by) };
      const { client, taskQueue } = await connect();
      await freezeAll(client, taskQueue, request);
      print({ frozen: true, ...request }, () => 'frozen: every pipeline holds its promotions');
    });

  program
    .command('unfreeze')
    .description('end the company-wide freeze')
    .addOption(byOption())
    .action(async (opts: { by?: string }) => {
      const credential = viaDashboard(opts.by);
      if (credential) return dashboardAction(credential, 'unfreeze', {}, { frozen: false });
      const who = by(opts.by);
      const { client, taskQueue } = await connect();
      await unfreezeAll(client, taskQueue, who);
      print({ frozen: false, by: who }, () => 'unfrozen');
    });

  program
    .command('frozen')
    .description('show the company-wide freeze, if any')
    .action(async () => {
      const { client } = await connect();
      const freeze = await currentFreeze(client);
      print(freeze ? { frozen: true, ...freeze } : { frozen: false }, () =>
        freeze ? `frozen by ${freeze.by} since ${when(freeze.since, Date.now())}: ${freeze.reason}` : 'not frozen',
      );
    });

  program
    .command('promote')
    .description(
      'promote into a stage now, by hand: overrules the waiting gates (pause, freeze, window, age, wave); --skip-gates overrules all',
    )
    .argument('<service>')
    .requiredOption('--to <stage>', 'target stage (app name); several apps of a wave: comma-separated')
    .requiredOption('--reason <text>', 'why; recorded in status and history')
    .addOption(byOption())
    .option('--skip-gates', 'overrule every gate, safety gates included (asks first; --yes without a terminal)')
    .option('-y, --yes', 'answer yes to the --skip-gates question')
    .action(
      async (
        service: string,
        opts: { to: string; reason: string; by?: string; skipGates?: boolean; yes?: boolean },
      ) => {
        // A comma-separated list names several apps (the whole wave, or part of it): asked at once, so
        // one pass decides them together and those that go share one promotion.
        const targets = appsNamed(opts.to);
        const request = {
          to: targets.length === 1 ? targets[0] : targets,
          reason: reasonRequired(opts.reason),
          by: by(opts.by),
          skipGates: !!opts.skipGates,
        };
        if (
          opts.skipGates &&
          !(await askYes(`promote into ${targets.join(', ')} overruling every gate, safety gates included?`, {
            yes: opts.yes,
          }))
        ) {
          throw new UserError('not promoted: --skip-gates was not confirmed');
        }
        const credential = viaDashboard(opts.by);
        if (credential) {
          // The dashboard reads several apps from one comma-separated field, asked in one request.
          const { reason, skipGates } = request;
          return dashboardAction(
            credential,
            'promote',
            { service, to: targets.join(','), reason, skipGates },
            { service, to: request.to },
          );
        }
        const { client } = await connect();
        for (const to of targets) await targetStage(client, service, '--to', to);
        // One request for every app named: one pass decides them together, and those that go share
        // one promotion (separate requests could be decided in separate passes).
        const outcome = await slow(`waiting for ${service}'s decision on ${targets.join(', ')}`, () =>
          answered(client, () => promoteManually(client, service, request)),
        );
        print(outcome.targets ?? outcome, () => outcome.message);
        if (!outcome.started) process.exitCode = EXIT.refused;
      },
    );

  program
    .command('retry')
    .description('try a release into a stage again after it failed there (conveyor never retries one by itself)')
    .argument('<service>')
    .requiredOption('--to <stage>', 'the stage the release failed in')
    .option('--reason <text>', 'why it should work now; recorded')
    .addOption(byOption())
    .action(async (service: string, opts: { to: string; reason?: string; by?: string }) => {
      const credential = viaDashboard(opts.by);
      if (credential)
        return dashboardAction(
          credential,
          'retry',
          { service, to: opts.to, reason: opts.reason },
          { service, retried: true, to: opts.to },
        );
      const request = { to: opts.to, by: by(opts.by), ...(opts.reason ? { reason: opts.reason } : {}) };
      const { client } = await connect();
      await targetStage(client, service, '--to', opts.to);
      const message = await answered(client, () => retryRelease(client, service, request));
      print({ service, retried: true, to: opts.to, message }, () => message);
    });

  program
    .command('reject')
    .description('hold a known-bad release (by commit) from ever being promoted, until unreject')
    .argument('<service>')
    .requiredOption('--commit <sha>', 'commit sha, 7 to 40 hex digits')
    .requiredOption('--reason <text>', 'why')
    .addOption(byOption())
    .action(async (service: string, opts: { commit: string; reason: string; by?: string }) => {
      const credential = viaDashboard(opts.by);
      if (credential)
        return dashboardAction(
          credential,
          'reject',
          { service, commit: opts.commit, reason: reasonRequired(opts.reason) },
          { service, rejected: opts.commit },
        );
      const request = { commit: opts.commit, reason: reasonRequired(opts.reason), by: by(opts.by) };
      const { client } = await connect();
      const message = await answered(client, () => rejectCommit(client, service, request));
      print({ service, rejected: opts.commit, message }, () => message);
    });

  program
    .command('unreject')
    .description('let a rejected release be promoted again')
    .argument('<service>')
    .requiredOption('--commit <sha>', 'the rejected commit')
    .addOption(byOption())
    .action(async (service: string, opts: { commit: string; by?: string }) => {
      const credential = viaDashboard(opts.by);
      if (credential)
        return dashboardAction(
          credential,
          'unreject',
          { service, commit: opts.commit },
          { service, unrejected: opts.commit },
        );
      const who = by(opts.by);
      const { client } = await connect();
      const message = await answered(client, () => unrejectCommit(client, service, opts.commit, who));
      print({ service, unrejected: opts.commit, message }, () => message);
    });

  program
    .command('approve')
    .description("approve the release waiting at a stage's approval gate")
    .argument('<service>')
    .requiredOption('--to <stage>', 'the stage it waits to enter')
    .option('--commit <sha>', 'the commit approved (default: the one waiting)')
    .addOption(byOption())
    .option('--comment <text>', 'a note kept with the approval')
    .action(async (service: string, opts: { to: string; commit?: string; by?: string; comment?: string }) => {
      const credential = viaDashboard(opts.by);
      if (credential)
        return dashboardAction(
          credential,
          'approve',
          { service, stage: opts.to, commit: opts.commit, comment: opts.comment },
          { service, approved: true, stage: opts.to },
        );
      const request = {
        stage: opts.to,
        by: by(opts.by),
        ...(opts.commit ? { commit: opts.commit } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
      };
      const { client } = await connect();
      await targetStage(client, service, '--to', opts.to);
      const message = await answered(client, () => approveRelease(client, service, request));
      print({ service, approved: true, stage: opts.to, message }, () => message);
    });

  program
    .command('login')
    .description(
      'act as yourself from the CLI: sign in through the dashboard (its identity provider) in a browser; actions then go through the dashboard, which checks your roles',
    )
    .option('--dashboard <url>', 'the dashboard (default: CONVEYOR_DASHBOARD_URL)')
    .option('--no-browser', 'print the URL to open instead of opening a browser')
    .action(async (opts: { dashboard?: string; browser: boolean }) => {
      const dashboard = opts.dashboard ?? process.env.CONVEYOR_DASHBOARD_URL;
      if (!dashboard) throw new UsageError('--dashboard: required (or set CONVEYOR_DASHBOARD_URL)');
      const credential = await login({
        dashboard,
        browser: opts.browser,
        show: (url) =>
          console.error(`Open this URL in a browser signed in to the dashboard, and allow the CLI:\n  ${url}`),
      });
      print(
        {
          dashboard: credential.dashboard,
          name: credential.name,
          provider: credential.provider,
          expiresAt: credential.expiresAt,
          stored: credentialPath(),
        },
        () =>
          `logged in to ${credential.dashboard} as ${credential.name} (${credential.provider}) until ${credential.expiresAt}; actions now go through the dashboard`,
      );
    });

  program
    .command('logout')
    .description(
      'forget the credential conveyor login stored; actions then go straight to Temporal (administrator access)',
    )
    .action(() => {
      const forgotten = forgetCredential();
      print({ loggedOut: forgotten }, () => (forgotten ? `logged out (${credentialPath()} removed)` : 'not logged in'));
    });

  program
    .command('audit')
    .description(
      "every person's action on a pipeline from its history: who (verified or not, by which provider), the rule that allowed it, what followed",
    )
    .argument('<service>')
    .option('--since <duration>', 'how far back (7d, 12h, 30m)', '7d')
    .action(async (service: string, opts: { since?: string }) => {
      const since = parseSince(opts.since);
      const { client } = await connect();
      const entries = await readAudit(client, service, since);
      print({ service, since: opts.since, actions: entries }, () => formatAudit(entries));
    });

  program
    .command('signing-key')
    .description(
      "make an Ed25519 key pair for the dashboard: the secret goes in its CONVEYOR_SIGNING_KEY, the public key in the services file's access.signingKeys",
    )
    .action(() => {
      const pair = newSigningKey();
      print(pair, () =>
        [
          `CONVEYOR_SIGNING_KEY=${pair.secretKey}`,
          `# services file: global.access.signingKeys: ["${pair.publicKey}"]`,
        ].join('\n'),
      );
    });

  program
    .command('sandbox')
    .description('run the local Heroku/GitHub stand-in until Ctrl-C')
    .option('--port <port>', 'port on 127.0.0.1 (default: any free one)', (v) => {
      const port = Number(v);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port: "${v}" is not a port number`);
      return port;
    })
    .option('--scenario <file>', 'scenario file (JSON) to load')
    .action(async (opts: { port?: number; scenario?: string }) => {
      const { runSandboxCommand } = await import('../sandbox/main');
      const { ScenarioError } = await import('../sandbox/scenario/input');
      try {
        await runSandboxCommand(opts);
      } catch (error) {
        throw error instanceof ScenarioError ? new UserError(error.message) : error;
      }
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
    .command('web')
    .description(
      "serve the dashboard, Heroku's webhooks (/webhooks/heroku), /healthz and /metrics on one port: what a web dyno runs",
    )
    .option('--host <host>', 'address to bind (default 127.0.0.1; 0.0.0.0 on a Heroku dyno; env CONVEYOR_WEB_HOST)')
    .option('--port <port>', 'port (default $PORT, else 8234; 0 = any free one)')
    .option('--temporal-ui <url>', 'Temporal Web UI to link to (env TEMPORAL_UI_URL)')
    .addHelpText(
      'after',
      '\nEnvironment: PORT, CONVEYOR_HOSTNAMES (the names answered besides loopback, comma-separated; required beyond\n' +
        'loopback), CONVEYOR_HEROKU_WEBHOOK_SECRET (webhooks on), CONVEYOR_METRICS_TOKEN (/metrics on, as a bearer token),\n' +
        "and the dashboard's (CONVEYOR_DASHBOARD_TOKEN or CONVEYOR_OIDC_*, CONVEYOR_SIGNING_KEY, GITHUB_TOKEN).",
    )
    .action(async (opts: { host?: string; port?: string; temporalUi?: string }) => {
      const { runWeb } = await import('../dashboard/web');
      await runWeb(temporalSettings(), opts);
    });

  program
    .command('receiver')
    .description(
      "receive Heroku's release webhooks and wake the pipeline of each app, until Ctrl-C (needs CONVEYOR_HEROKU_WEBHOOK_SECRET)",
    )
    .option('--host <host>', 'address to bind (default 127.0.0.1, or the host of CONVEYOR_RECEIVER_ADDRESS)')
    .option('--port <port>', 'port (default 8235, or the port of CONVEYOR_RECEIVER_ADDRESS; 0 = any free one)', (v) => {
      const port = Number(v);
      if (!/^\d+$/.test(v.trim()) || port > 65535) throw new UsageError(`--port: "${v}" is not a port number`);
      return port;
    })
    .action(async (opts: { host?: string; port?: number }) => {
      const { runReceiver } = await import('../client/receiver');
      await runReceiver(temporalSettings(), opts);
    });

  const webhooks = program
    .command('webhooks')
    .description("Heroku's release webhooks of every stage app: install the subscriptions, show their deliveries");
  webhooks
    .command('install')
    .description(
      'subscribe every stage app to api:release at the receiver (level sync, signed with CONVEYOR_HEROKU_WEBHOOK_SECRET); an existing subscription to the same URL is updated, never doubled',
    )
    .requiredOption('-f, --file <file>', 'services file (.yaml, .yml or .json)')
    .option(
      '--url <url>',
      'public URL of the receiver (env CONVEYOR_RECEIVER_URL), e.g. https://conveyor.example.com/webhooks/heroku',
    )
    .action(async (opts: { file: string; url?: string }) => {
      const services = servicesOf(opts.file);
      const { installWebhooks, receiverUrl, tellPipelines } = await import('../client/webhooks');
      const url = receiverUrl(opts.url);
      const result = await slow(`subscribing the stage apps of ${services.length} services`, () =>
        installWebhooks(services, url),
      );
      try {
        const { client } = await connect();
        result.told = await tellPipelines(client, services, result.apps);
      } catch (error) {
        note(
          `subscribed, but the pipelines could not be told (${(error as Error).message.split('\n')[0]}): each slows its poll at its first delivery`,
        );
      }
      print({ file: opts.file, ...result }, () =>
        [
          ...result.apps.map((a) => `${a.app}: subscribed to ${url} (${a.action})`),
          ...result.problems,
          ...(result.told.length ? [`told ${result.told.join(', ')}: webhooks on, fallback poll slowed`] : []),
        ].join('\n'),
      );
      if (result.problems.length) process.exitCode = EXIT.refused;
    });
  webhooks
    .command('status')
    .description("each stage app's api:release subscription and its last delivery (Heroku's webhook-deliveries)")
    .requiredOption('-f, --file <file>', 'services file (.yaml, .yml or .json)')
    .option('--url <url>', 'only the subscription to this receiver URL (env CONVEYOR_RECEIVER_URL)')
    .action(async (opts: { file: string; url?: string }) => {
      const services = servicesOf(opts.file);
      const { formatWebhookStatus, receiverUrl, webhookStatus, RECEIVER_URL_ENV } = await import('../client/webhooks');
      const url = opts.url || process.env[RECEIVER_URL_ENV] ? receiverUrl(opts.url) : undefined;
      const apps = await slow(`reading the webhooks of ${services.length} services`, () =>
        webhookStatus(services, url),
      );
      print({ file: opts.file, apps }, () => formatWebhookStatus(apps));
      if (apps.some((a) => a.problem)) process.exitCode = EXIT.refused;
    });

  program
    .command('demo')
    .description(
      'the whole thing on this machine: dev server, sandbox, worker, example services and merges (npm start)',
    )
    .action(async () => {
      const { runDemo } = await import('./demo');
      await runDemo();
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(conveyor completion bash), or zsh')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh')
        throw new UsageError(`completion: "${shell}" is not a shell conveyor completes (bash, zsh)`);
      process.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });

  unknownFlagsFirst(program);
  return program;
}

/** The error as one document for --json: what kind, the message, and what else a script may need. */
function errorDocument(error: UserError | ConfigError | Error, exitCode: number): object {
  if (error instanceof ConfigError)
    return { error: { kind: 'config', exitCode, file: error.file, message: error.message, problems: error.details } };
  const kind = error instanceof UserError ? error.kind : 'internal';
  return { error: { kind, exitCode, message: error.message, ...(error instanceof UserError ? error.details : {}) } };
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  io.json = argv.includes('--json');
  const fail = (error: Error, code: number, line: string): number => {
    if (io.json) console.log(JSON.stringify(errorDocument(error, code), null, 2));
    else console.error(line);
    return code;
  };
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are answers; help shown because no command was given is a usage error.
      if (error.exitCode === 0 || ['commander.helpDisplayed', 'commander.version'].includes(error.code)) return EXIT.ok;
      // commander has printed its message (to stderr, unless --json); the JSON form carries it too.
      if (io.json)
        console.log(
          JSON.stringify(
            {
              error: {
                kind: 'usage',
                exitCode: EXIT.usage,
                code: error.code,
                message: error.message.replace(/^error: /, ''),
              },
            },
            null,
            2,
          ),
        );
      return EXIT.usage;
    }
    if (error instanceof ConfigError) return fail(error, EXIT.usage, error.message);
    if (error instanceof SettingsError)
      return fail(Object.assign(new UsageError(error.message)), EXIT.usage, `conveyor: ${error.message}`);
    if (error instanceof UserError) return fail(error, error.exitCode, `conveyor: ${error.message}`);
    const explained = explainTemporalError(error, where);
    if (explained) return fail(explained, explained.exitCode, `conveyor: ${explained.message}`);
    return fail(error as Error, EXIT.refused, `conveyor: ${(error as Error).stack ?? error}`);
  }
}
