import { newId, randomHex, timestamp } from '../ids';

/**
 * The people behind Heroku accounts, as Heroku's documentation describes them (devcenter "OAuth",
 * Platform API "Account", "Collaborator", "Team App Collaborator", "Team App Permission"):
 * - accounts other than the sandbox's own (whose token conveyor holds), each with an id and email;
 * - OAuth clients registered with a secret and one callback URL (web flow at id.heroku.com);
 * - tokens issued to a person through that flow, carrying their scopes; scope `identity` lets a
 *   token read `GET /account` and nothing else;
 * - who collaborates on which app: on a personal app every collaborator may deploy; on a team app
 *   what each may do is their permissions (view, deploy, operate, manage), admins holding all.
 * Kept in memory beside the store (not in snapshots): people sign in during a run.
 */

export interface Person {
  id: string;
  email: string;
  name: string | null;
  createdAt: string;
}

export interface OAuthClient {
  id: string;
  secret: string;
  name: string;
  redirectUri: string;
}

export type TeamRole = 'admin' | 'member' | 'collaborator' | 'owner';

export interface Collaboration {
  id: string;
  appId: string;
  userId: string;
  role: TeamRole | null;
  /** Team app permission names; on a personal app, none. */
  permissions: string[];
  createdAt: string;
}

/** GET /teams/permissions: the names Heroku documents, in its words' spirit. */
export const TEAM_APP_PERMISSIONS: Record<string, string> = {
  view: 'Can see the app in the team and its resources.',
  deploy: 'Can create releases: deploy code, roll back, promote through pipelines.',
  operate: 'Can run one-off dynos, scale dynos and restart them.',
  manage: 'Can add and remove collaborators, rename the app and change its settings.',
};

interface Grant {
  clientId: string;
  userId: string;
  scope: string[];
  expiresAt: number;
}

interface IssuedToken {
  userId: string;
  scope: string[];
  expiresAt: number;
}

/** What Heroku's token exchange answers (expires_in: 8 hours). */
export const ACCESS_TOKEN_SECONDS = 28_800;
const GRANT_MS = 5 * 60_000;

/** Heroku prefixes OAuth access tokens with "HRKU-" so leaked ones can be searched for. */
const herokuToken = () => `HRKU-${newId()}`;

export class People {
  private readonly persons = new Map<string, Person>();
  private readonly clients = new Map<string, OAuthClient>();
  private readonly grants = new Map<string, Grant>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly collaborations: Collaboration[] = [];

  addPerson(email: string, name: string | null = null): Person {
    const known = this.byEmail(email);
    if (known) return known;
    const person: Person = { id: newId(), email, name, createdAt: timestamp() };
    this.persons.set(person.id, person);
    return person;
  }

  byEmail(email: string): Person | undefined {
    return [...this.persons.values()].find((p) => p.email.toLowerCase() === email.trim().toLowerCase());
  }

  person(id: string): Person | undefined {
    return this.persons.get(id);
  }

  registerClient(name: string, redirectUri: string): OAuthClient {
    const client: OAuthClient = { id: newId(), secret: newId(), name, redirectUri };
    this.clients.set(client.id, client);
    return client;
  }

  client(id: string): OAuthClient | undefined {
    return this.clients.get(id);
  }

  /** The person allowed the client: a code it exchanges once, within minutes. */
  grant(clientId: string, userId: string, scope: string[], now = Date.now()): string {
    const code = newId();
    this.grants.set(code, { clientId, userId, scope, expiresAt: now + GRANT_MS });
    return code;
  }

  /** The code's grant, used up; undefined when unknown, used, expired or not this client's. */
  redeem(code: string, clientId: string, now = Date.now()): Grant | undefined {
    const grant = this.grants.get(code);
    this.grants.delete(code);
    if (!grant || grant.expiresAt <= now || grant.clientId !== clientId) return undefined;
    return grant;
  }

  /** The client whose secret this is. */
  clientBySecret(secret: string): OAuthClient | undefined {
    return [...this.clients.values()].find((c) => c.secret === secret);
  }

  issue(userId: string, scope: string[], now = Date.now()): { token: string; refreshToken: string } {
    const token = herokuToken();
    this.tokens.set(token, { userId, scope, expiresAt: now + ACCESS_TOKEN_SECONDS * 1000 });
    return { token, refreshToken: `HRKU-${randomHex(16)}` };
  }

  /** Whose token this is, and what it may do; undefined when it is none of theirs or expired. */
  tokenOwner(token: string | undefined, now = Date.now()): { person: Person; scope: string[] } | undefined {
    const issued = token ? this.tokens.get(token) : undefined;
    if (!issued || issued.expiresAt <= now) return undefined;
    const person = this.persons.get(issued.userId);
    return person ? { person, scope: issued.scope } : undefined;
  }

  /** Adds (or replaces) a person's collaboration on an app; on a personal app permissions are ignored. */
  collaborate(
    appId: string,
    userId: string,
    onTeam: boolean,
    role: TeamRole | null,
    permissions: string[],
  ): Collaboration {
    const index = this.collaborations.findIndex((c) => c.appId === appId && c.userId === userId);
    const collaboration: Collaboration = {
      id: newId(),
      appId,
      userId,
      role,
      permissions: !onTeam ? [] : role === 'admin' ? Object.keys(TEAM_APP_PERMISSIONS) : permissions,
      createdAt: timestamp(),
    };
    if (index >= 0) this.collaborations.splice(index, 1, collaboration);
    else this.collaborations.push(collaboration);
    return collaboration;
  }

  collaboratorsOf(appId: string): Collaboration[] {
    return this.collaborations.filter((c) => c.appId === appId);
  }
}

export function accountJson(person: {
  id: string;
  email: string;
  name?: string | null;
  createdAt?: string;
}): Record<string, unknown> {
  const created = person.createdAt ?? timestamp();
  return {
    allow_tracking: true,
    beta: false,
    created_at: created,
    email: person.email,
    federated: false,
    id: person.id,
    identity_provider: null,
    last_login: created,
    name: person.name ?? null,
    sms_number: null,
    suspended_at: null,
    delinquent_at: null,
    two_factor_authentication: true,
    updated_at: created,
    verified: true,
    country_of_residence: null,
    default_organization: null,
    default_team: null,
  };
}

export function collaboratorJson(
  collaboration: Collaboration,
  app: { id: string; name: string },
  user: { id: string; email: string },
): Record<string, unknown> {
  return {
    app: { id: app.id, name: app.name },
    created_at: collaboration.createdAt,
    id: collaboration.id,
    permissions: collaboration.permissions.map((name) => ({ name, description: TEAM_APP_PERMISSIONS[name] ?? name })),
    role: collaboration.role,
    updated_at: collaboration.createdAt,
    user: { email: user.email, federated: false, id: user.id },
  };
}
