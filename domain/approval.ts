import { shortSha } from './observation';
import { sameCommit } from './commits';
import { hold, pass, type Verdict } from './verdict';
import { iso } from './duration';
import { verify } from './attestation';
import { displayName, isVerified, type Provider } from './identity';
import { EVERYONE, matchingMember, HEROKU_DEPLOYERS } from './role';

/** Who may approve promotions into a stage (emails, "group:NAME", "heroku:deployers"); empty = anyone. */
export interface ApprovalPolicy {
  approvers: string[];
}

/**
 * How sure the pipeline is of who approved: `verified` (signed by the dashboard after a provider's
 * sign-in), `unverified` (signed by the dashboard for a shared-token session), `administrator`
 * (a `by` typed and sent straight to Temporal: whoever holds the namespace's credentials).
 */
export type Assurance = 'verified' | 'unverified' | 'administrator';

/** A person's yes to one commit entering one stage. Bound to the commit: a newer release needs a new yes. */
export interface Approval {
  stage: string;
  commit: string;
  by: string;
  comment?: string;
  /** ISO 8601. */
  at: string;
  /** Absent on approvals recorded before identities were checked. */
  assurance?: Assurance;
  provider?: Provider;
  /** The rule that allowed it, as the dashboard signed it. */
  rule?: string;
}

/** A commit that reached the approval gate of a stage, and since when it waits there. */
export interface WaitingApproval {
  stage: string;
  commit: string;
  /** ISO 8601. */
  since: string;
}

/** What readApproval needs to know of each stage of the service. */
export interface ApprovalStage {
  stage: string;
  /** Undefined when promotions into the stage need no approval. */
  policy: ApprovalPolicy | undefined;
  /** The commit waiting for approval into the stage; null when none waits. */
  waitingCommit: string | null;
}

const approversText = (policy: ApprovalPolicy | undefined): string =>
  !policy ? '' : policy.approvers.length ? ` (approvers: ${policy.approvers.join(', ')})` : ' (anyone may approve)';

/**
 * Passes once someone approved this exact commit into the stage; holds otherwise, saying since
 * when it waits. `policy`, when given, names who may approve.
 */
export function approvalVerdict(
  stage: string,
  sourceCommit: string | null,
  approvals: Approval[],
  waiting: WaitingApproval | undefined,
  now: number,
  policy?: ApprovalPolicy,
): Verdict {
  if (!sourceCommit) return hold('approval', `nothing to approve into ${stage}: the release has no commit recorded`);
  const approval = approvals.filter((a) => a.stage === stage && a.commit === sourceCommit).at(-1);
  if (approval)
    return pass(
      'approval',
      `approved by ${approval.by}${approval.assurance ? ` (${approval.assurance})` : ''} at ${approval.at}${approval.comment ? `: ${approval.comment}` : ''}`,
    );
  // A waiting record of another commit is stale: this one starts waiting now.
  const since = waiting && waiting.stage === stage && waiting.commit === sourceCommit ? waiting.since : iso(now);
  return hold('approval', `waiting for approval since ${since}${approversText(policy)}`);
}

const SHA = /^[0-9a-f]{7,40}$/i;
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() ? value.trim() : undefined;
const sameName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** What an approval is checked against besides the stages: whose signatures count. */
export interface ApprovalContext {
  service: string;
  /** Public keys of the dashboards whose signed approvals count (access.signingKeys). */
  signingKeys: readonly string[];
}

/** Approvers that name people: anything but an empty list or "*" alone. */
export const namesApprovers = (policy: ApprovalPolicy): boolean => policy.approvers.some((a) => a !== EVERYONE);

/**
 * An `approve {stage, commit?, by, comment?, attestation?}` request checked against the service's
 * stages: the Approval to record, or why it cannot be (a sentence for the person who asked). Never
 * throws. `commit` is a full sha or a prefix of 7+ hex digits and defaults to the one waiting.
 *
 * Into a stage whose approvers name people, only an approval the dashboard signed for a verified
 * identity counts: a typed `by` proves nothing. Into a stage anyone may approve, an unsigned
 * approval is taken and recorded as administrator access (it came straight to Temporal).
 */
export function readApproval(
  input: unknown,
  stages: ApprovalStage[],
  now: number,
  context: ApprovalContext = { service: '', signingKeys: [] },
): Approval | string {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return 'an approval is {stage, commit?, by, comment?}';
  const {
    stage: stageInput,
    commit: commitInput,
    by: byInput,
    comment: commentInput,
    attestation,
  } = input as Record<string, unknown>;

  const stageName = text(stageInput);
  if (!stageName) return 'an approval must name the stage it lets a release into';
  const stage = stages.find((s) => s.stage === stageName);
  if (!stage) return `${stageName} is not a stage of this service (stages: ${stages.map((s) => s.stage).join(', ')})`;
  if (!stage.policy) return `promotions into ${stageName} need no approval`;
  const waiting = stage.waitingCommit;
  if (!waiting) return `no release is waiting for approval into ${stageName}`;

  if (commitInput !== undefined && commitInput !== null) {
    const commit = typeof commitInput === 'string' ? commitInput.trim() : '';
    if (!SHA.test(commit)) return `${JSON.stringify(commitInput)} is not a commit sha (7 to 40 hex digits)`;
    if (!sameCommit(waiting, commit))
      return `commit ${shortSha(commit)} is not the one waiting for approval into ${stageName} (${shortSha(waiting)} is)`;
  }

  if (commentInput !== undefined && commentInput !== null && typeof commentInput !== 'string')
    return 'a comment must be text';
  const comment = text(commentInput);
  const { approvers } = stage.policy;
  const rule = `stageChecks.${stageName}.approval.approvers`;

  if (attestation === undefined || attestation === null) {
    const by = text(byInput);
    if (!by) return 'an approval must say who approves ("by")';
    if (namesApprovers(stage.policy)) {
      const listed = approvers.some((name) => sameName(name, by));
      return `${listed ? `${by} is an approver of ${stageName}, but this` : 'this'} approval is not signed by a dashboard: ${rule} names people (${approvers.join(', ')}), and a name sent straight to Temporal proves nobody (administrator access); approve on the dashboard or with \`conveyor login\` and \`conveyor approve\``;
    }
    return {
      stage: stageName,
      commit: waiting,
      by,
      ...(comment ? { comment } : {}),
      at: iso(now),
      assurance: 'administrator',
    };
  }

  const checked = verify(attestation, context.signingKeys, now);
  if (!checked.ok) return `the approval's signature ${checked.problem}`;
  const { claim } = checked;
  if (claim.action !== 'approve' || claim.service !== context.service || claim.stage !== stageName)
    return `the signed claim is for ${claim.action} ${claim.service}${claim.stage ? ` into ${claim.stage}` : ''}, not for approving ${context.service} into ${stageName}`;
  if (!claim.commit || !sameCommit(waiting, claim.commit))
    return `the signed approval is for commit ${shortSha(claim.commit ?? '')}, not the one waiting for approval into ${stageName} (${shortSha(waiting)})`;
  const by = displayName(claim.identity);
  if (namesApprovers(stage.policy)) {
    if (!isVerified(claim.identity))
      return `${by} signed in with the shared token, which verifies nobody; ${rule} names people (${approvers.join(', ')}), so only a provider's sign-in can approve into ${stageName}`;
    const member = claim.member;
    const granted =
      member !== undefined &&
      approvers.includes(member) &&
      matchingMember(claim.identity, [member], { herokuDeployer: member === HEROKU_DEPLOYERS }) === member;
    if (!granted) return `${by} may not approve into ${stageName}: not in ${rule} (${approvers.join(', ')})`;
  }
  return {
    stage: stageName,
    commit: waiting,
    by,
    ...(comment ? { comment } : {}),
    at: iso(now),
    assurance: isVerified(claim.identity) ? 'verified' : 'unverified',
    provider: claim.identity.provider,
    rule: claim.rule,
  };
}

/**
 * Where one commit stands at one stage's approval gate, as every surface shows it: one state per
 * stage, the newest decision winning. A rejection withdraws the approval of its commit (the pipeline
 * forgets it when the rejection is recorded), so after an unreject the commit waits for a fresh yes.
 */
export interface ApprovalState {
  stage: string;
  commit: string;
  state: 'waiting' | 'approved' | 'rejected';
  /** When it entered this state (ISO 8601). */
  since: string;
  /** approved: who approved; rejected: who rejected. */
  by?: string;
  /** approved: the approver's comment; rejected: the rejection's reason. */
  note?: string;
}

/**
 * One state per stage that needs approval, from the approvals given, the commits waiting and the
 * rejections: rejected beats approved beats waiting for the same commit.
 */
export function approvalStates(
  given: readonly Approval[],
  waiting: readonly WaitingApproval[],
  rejected: readonly { commit: string; by: string; reason: string; at: string }[],
): ApprovalState[] {
  const stages = [...new Set([...waiting.map((w) => w.stage), ...given.map((a) => a.stage)])];
  return stages.flatMap((stage): ApprovalState[] => {
    const wait = waiting.find((w) => w.stage === stage);
    const approval = given.filter((a) => a.stage === stage && (!wait || sameCommit(a.commit, wait.commit))).at(-1);
    const commit = wait?.commit ?? approval?.commit;
    if (!commit) return [];
    const rejection = rejected.find((r) => sameCommit(r.commit, commit));
    if (rejection)
      return [{ stage, commit, state: 'rejected', since: rejection.at, by: rejection.by, note: rejection.reason }];
    if (approval)
      return [
        {
          stage,
          commit,
          state: 'approved',
          since: approval.at,
          by: approval.by,
          ...(approval.comment ? { note: approval.comment } : {}),
        },
      ];
    return [{ stage, commit, state: 'waiting', since: wait!.since }];
  });
}
