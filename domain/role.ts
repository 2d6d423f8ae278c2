import { displayName, isVerified, type Identity } from './identity';

/**
 * Who may do what to a service, as the services file writes it. A member is an email
 * ("ana@acme.com"), a group the provider sends ("group:sre"), everyone signed in ("*"), or the
 * people Heroku lets deploy to the app concerned ("heroku:deployers", read from Heroku at the time
 * of the action). Emails and groups match only verified identities: a name typed with the shared
 * token proves nothing.
 */
export interface AccessPolicy {
  /** Who may see the service on the dashboard; absent: everyone, signed in or not. */
  view?: string[];
  /** Who may pause, resume, promote by hand, retry, reject and unreject; absent: the provider's default. */
  operate?: string[];
  /** Public keys (Ed25519, base64) of the dashboards whose signed actions the pipeline takes as verified. */
  signingKeys?: string[];
}

export type Role = 'view' | 'operate' | 'approve';

/** What the pipeline's operators may do besides approving (freeze and unfreeze act on the whole fleet). */
export const OPERATIONS = ['pause', 'resume', 'promote', 'retry', 'reject', 'unreject', 'freeze', 'unfreeze'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Yes with the rule that allowed it, or no with the rule that refused it and why. */
export type Grant = { allowed: true; rule: string; member?: string } | { allowed: false; rule: string; reason: string };

/** Facts read at the time of the action. */
export interface ActionFacts {
  /** Heroku lets this person deploy to the app concerned; undefined when not asked (not a Heroku sign-in). */
  herokuDeployer?: boolean;
  /** Heroku's answer in words ("bo@acme.com is not a collaborator on api-eu01"), or why it could not be asked. */
  herokuReason?: string;
}

export const EVERYONE = '*';
export const HEROKU_DEPLOYERS = 'heroku:deployers';
const GROUP = 'group:';

const sameText = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** The member of `members` that lets `identity` in, or undefined. */
export function matchingMember(
  identity: Identity | undefined,
  members: readonly string[],
  facts: ActionFacts = {},
): string | undefined {
  if (!identity) return undefined;
  return members.find((member) => {
    if (member === EVERYONE) return true;
    if (!isVerified(identity)) return false;
    if (member === HEROKU_DEPLOYERS) return identity.provider === 'heroku' && facts.herokuDeployer === true;
    if (member.startsWith(GROUP)) return identity.groups.some((group) => group === member.slice(GROUP.length));
    return identity.email !== undefined && sameText(member, identity.email);
  });
}

const list = (members: readonly string[]) => members.join(', ');

function byMembers(
  identity: Identity | undefined,
  rule: string,
  members: readonly string[],
  what: string,
  facts: ActionFacts,
): Grant {
  if (!identity) return { allowed: false, rule, reason: `sign in to ${what}` };
  const member = matchingMember(identity, members, facts);
  if (member) return { allowed: true, rule: `${rule}: ${member}`, member };
  const who = displayName(identity);
  if (!isVerified(identity) && members.length)
    return {
      allowed: false,
      rule: `${rule} (${list(members)})`,
      reason: `${who} signed in with the shared token, which verifies nobody; ${rule} names people (${list(members)}), so only a provider's sign-in can ${what}`,
    };
  if (members.includes(HEROKU_DEPLOYERS) && identity.provider === 'heroku' && facts.herokuDeployer === false)
    return {
      allowed: false,
      rule: `${rule} (${list(members)})`,
      reason: `${who} may not ${what}: Heroku does not let them deploy to the app${facts.herokuReason ? ` (${facts.herokuReason})` : ''}, and ${rule} lists nobody else who matches (${list(members)})`,
    };
  if (members.includes(HEROKU_DEPLOYERS) && identity.provider === 'heroku' && facts.herokuReason)
    return {
      allowed: false,
      rule: `${rule} (${list(members)})`,
      reason: `${who} may not ${what}: ${facts.herokuReason}, and ${rule} lists nobody else who matches (${list(members)})`,
    };
  return {
    allowed: false,
    rule: `${rule} (${list(members)})`,
    reason: `${who} may not ${what}: not in ${rule} (${list(members)})`,
  };
}

/** Absent `view`: the dashboard is open to read, as it always was. */
export function mayView(identity: Identity | undefined, policy: AccessPolicy | undefined): Grant {
  if (!policy?.view) return { allowed: true, rule: 'access.view: not set, everyone may view' };
  return byMembers(identity, 'access.view', policy.view, 'view this service', {});
}

/**
 * Absent `operate`: everyone signed in, except after a Heroku sign-in, where the natural default
 * is the people Heroku lets deploy to the service's apps.
 */
export function mayOperate(
  identity: Identity | undefined,
  policy: AccessPolicy | undefined,
  operation: Operation,
  facts: ActionFacts = {},
): Grant {
  const what = `${operation} this service`;
  if (policy?.operate) return byMembers(identity, 'access.operate', policy.operate, what, facts);
  if (identity?.provider === 'heroku')
    return byMembers(identity, 'access.operate (default after a Heroku sign-in)', [HEROKU_DEPLOYERS], what, facts);
  if (!identity) return { allowed: false, rule: 'access.operate', reason: `sign in to ${what}` };
  return { allowed: true, rule: 'access.operate: not set, everyone signed in may operate' };
}

/** A fleet-wide action (freeze, unfreeze) needs the right to operate every service it stops. */
export function mayOperateFleet(
  identity: Identity | undefined,
  policies: { service: string; access: AccessPolicy | undefined }[],
  operation: 'freeze' | 'unfreeze',
  facts: ActionFacts = {},
): Grant {
  for (const { service, access } of policies) {
    const grant = mayOperate(identity, access, operation, facts);
    if (!grant.allowed) return { ...grant, rule: `${service}: ${grant.rule}`, reason: `${service}: ${grant.reason}` };
  }
  return { allowed: true, rule: 'access.operate of every service' };
}

/**
 * Approving into a stage: its approvers (`stageChecks.<stage>.approval.approvers`) name who may;
 * an empty list lets anyone signed in approve, verified or not.
 */
export function mayApprove(
  identity: Identity | undefined,
  stage: string,
  approvers: readonly string[],
  facts: ActionFacts = {},
): Grant {
  const rule = `stageChecks.${stage}.approval.approvers`;
  if (!approvers.length) {
    if (!identity) return { allowed: false, rule, reason: `sign in to approve into ${stage}` };
    return { allowed: true, rule: `${rule}: empty, anyone signed in may approve` };
  }
  return byMembers(identity, rule, approvers, `approve into ${stage}`, facts);
}
