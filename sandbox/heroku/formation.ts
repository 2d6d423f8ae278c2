import { newId, timestamp } from '../ids';
import type { Json } from './json';
import type { AppFeatureRecord, AppRecord, CouplingStage, FormationRecord, Store } from '../store';

/**
 * How apps run their dynos (formation) and which Heroku Labs features they have on: what the
 * zero-downtime check reads. Apps start as Heroku apps usually are: production apps run 2
 * Standard-2X web dynos with preboot on, the others 1 Standard-1X web dyno with preboot off.
 */

/** Dyno sizes, with fixed ids as Heroku's are. */
const DYNO_SIZES: Record<string, string> = {
  'Standard-1X': 'e1c2d3a4-5b6c-4d7e-8f90-a1b2c3d4e5f1',
  'Standard-2X': 'e1c2d3a4-5b6c-4d7e-8f90-a1b2c3d4e5f2',
  'Performance-M': 'e1c2d3a4-5b6c-4d7e-8f90-a1b2c3d4e5f3',
  'Performance-L': 'e1c2d3a4-5b6c-4d7e-8f90-a1b2c3d4e5f4',
};

interface Feature {
  id: string;
  name: string;
  display_name: string;
  description: string;
  doc_url: string;
  state: 'general' | 'beta' | 'alpha';
  feedback_email: string;
}

/** The Labs features an app can have, as Heroku lists them (a small part of the real catalog). */
export const FEATURES: Feature[] = [
  {
    id: 'b4a6f4f1-1c0e-4a2b-9d3e-5f6a7b8c9d01',
    name: 'http-session-affinity',
    display_name: 'Session affinity',
    description: 'Enable session affinity for all requests.',
    doc_url: 'https://devcenter.heroku.com/articles/session-affinity',
    state: 'general',
    feedback_email: 'support@heroku.com',
  },
  {
    id: 'b4a6f4f1-1c0e-4a2b-9d3e-5f6a7b8c9d02',
    name: 'preboot',
    display_name: 'Preboot',
    description: 'Provide seamless web dyno deploys.',
    doc_url: 'https://devcenter.heroku.com/articles/preboot',
    state: 'general',
    feedback_email: 'support@heroku.com',
  },
  {
    id: 'b4a6f4f1-1c0e-4a2b-9d3e-5f6a7b8c9d03',
    name: 'runtime-dyno-metadata',
    display_name: 'Runtime Dyno Metadata',
    description: 'Provide information about the app and environment in dynos.',
    doc_url: 'https://devcenter.heroku.com/articles/dyno-metadata',
    state: 'beta',
    feedback_email: 'support@heroku.com',
  },
];

export const PROCESS_TYPE = /^[-\w]{1,128}$/;

/** The commands of the slug's process types (slugJson's `process_types`). */
const command = (type: string) => (type === 'web' ? 'npm start' : `npm run ${type}`);

/** The web formation and preboot a new app starts with, by its pipeline stage. */
export function provisionApp(store: Store, app: AppRecord, stage: CouplingStage): void {
  const production = stage === 'production';
  const now = timestamp();
  const web: FormationRecord = {
    id: newId(),
    appId: app.id,
    type: 'web',
    quantity: production ? 2 : 1,
    size: production ? 'Standard-2X' : 'Standard-1X',
    command: command('web'),
    createdAt: now,
    updatedAt: now,
  };
  store.put('formations', web);
  setAppFeature(store, app, 'preboot', production);
}

/**
 * Scales process types: a number sets the quantity (a type the app lacks is added, sized like its
 * web dynos); null removes the type, as if the app's slug declared none.
 */
export function scale(store: Store, app: AppRecord, quantities: Record<string, number | null>): void {
  const now = timestamp();
  for (const [type, quantity] of Object.entries(quantities)) {
    const existing = store.formation(app.id, type);
    if (quantity === null) {
      if (existing) store.remove('formations', existing.id);
    } else if (existing) {
      Object.assign(existing, { quantity, updatedAt: now });
    } else {
      const size = store.formation(app.id, 'web')?.size ?? 'Standard-1X';
      const added: FormationRecord = {
        id: newId(),
        appId: app.id,
        type,
        quantity,
        size,
        command: command(type),
        createdAt: now,
        updatedAt: now,
      };
      store.put('formations', added);
    }
  }
}

export const featureNamed = (name: string): Feature | undefined => FEATURES.find((f) => f.name === name);

export function setAppFeature(store: Store, app: AppRecord, name: string, enabled: boolean): void {
  const record: AppFeatureRecord = { appId: app.id, name, enabled, updatedAt: timestamp() };
  store.state.appFeatures[`${app.id}:${name}`] = record;
}

export function formationJson(store: Store, formation: FormationRecord): Json {
  const app = store.state.apps[formation.appId];
  return {
    app: { id: app.id, name: app.name },
    command: formation.command,
    created_at: formation.createdAt,
    dyno_size: { id: DYNO_SIZES[formation.size], name: formation.size },
    id: formation.id,
    quantity: formation.quantity,
    size: formation.size,
    type: formation.type,
    updated_at: formation.updatedAt,
  };
}

/** A catalog feature as seen on one app: enabled or not, dated by the app's last change of it. */
export function appFeatureJson(store: Store, app: AppRecord, feature: Feature): Json {
  const record = store.appFeature(app.id, feature.name);
  return {
    created_at: app.createdAt,
    description: feature.description,
    doc_url: feature.doc_url,
    enabled: record?.enabled ?? false,
    id: feature.id,
    name: feature.name,
    state: feature.state,
    updated_at: record?.updatedAt ?? app.createdAt,
    display_name: feature.display_name,
    feedback_email: feature.feedback_email,
  };
}
