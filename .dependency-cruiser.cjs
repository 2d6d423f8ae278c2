/**
 * conveyor's layers, checked by dependency-cruiser in `npm test` (scripts/test.ts runs `npm run deps`).
 * domain/ is pure: it imports only domain/ (and libraries). activities/ never imports workflows/.
 * workflows/ is replayed: it imports domain/, itself, the search attributes' names, and only the types of activities/.
 * workflows/memory/ (the pipeline's memory) imports domain/ and itself only (eslint keeps Temporal out of it).
 * sandbox/ stands alone: it knows Heroku's and GitHub's APIs, nothing of conveyor.
 * cli/ is the top: the commands, composing everything else; only bin/ starts it.
 * client/ (the Temporal readers and writers the CLI and the dashboard share) never reaches the dashboard or cli/.
 * Clients of Heroku and GitHub are made in one place, activities/api-clients.ts (eslint checks it).
 * Production code never imports test/ or bench/. No import cycles.
 */
// scripts/ are developer tools (recording histories, screenshots, the chaos run): they may use test support.
const production = '^(activities|cli|client|config|dashboard|domain|temporal|worker|workflows|sandbox|bin)/';
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ holds the decision: facts in, verdicts out. It imports only domain/ and libraries.',
      severity: 'error',
      from: { path: '^domain/' },
      to: {
        path: '^(?!domain/)',
        dependencyTypesNot: [
          'npm',
          'npm-dev',
          'npm-optional',
          'npm-peer',
          'npm-bundled',
          'npm-no-pkg',
          'npm-unknown',
          'core',
        ],
      },
    },
    {
      name: 'activities-not-workflows',
      comment: 'Activities are adapters; workflow code is replayed and must not be reached from them.',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: '^workflows/' },
    },
    {
      name: 'workflows-are-deterministic',
      comment:
        'Workflow code is replayed: it may import domain/, workflows/, temporal/search-attributes and the types of activities/ (to proxy them), nothing that does I/O.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: {
        path: '^(?!(domain|workflows)/|temporal/search-attributes\\.ts$|activities/index\\.ts$)[a-z]+/',
      },
    },
    {
      name: 'workflows-take-activity-types-only',
      comment: 'Activities run in the worker; workflows know only their types (proxyActivities).',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'sandbox-stands-alone',
      comment: "The sandbox stands in for Heroku and GitHub: it imports nothing of conveyor's own layers.",
      severity: 'error',
      from: { path: '^sandbox/' },
      to: { path: '^(activities|cli|client|config|dashboard|domain|temporal|worker|workflows|bin)/' },
    },
    {
      name: 'memory-is-plain',
      comment:
        "workflows/memory/ is the pipeline's memory as plain objects: no Temporal, nothing of the workflow around it.",
      severity: 'error',
      from: { path: '^workflows/memory/' },
      to: { path: ['^workflows/(?!memory/)', '^(activities|client|worker|sandbox)/'] },
    },
    {
      name: 'cli-is-the-top',
      comment:
        'cli/ composes the commands (the demo, the worker, the dashboard): nothing but bin/ and cli/ imports it.',
      severity: 'error',
      from: { pathNot: '^(bin|cli)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'client-below-dashboard',
      comment:
        'The dashboard uses client/ (its readers of Temporal); client/ never reaches back up into the dashboard.',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^dashboard/' },
    },
    {
      name: 'no-tests-in-production',
      comment: 'Nothing that ships imports test/ or bench/.',
      severity: 'error',
      from: { path: production },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|\\.tools|\\.conveyor)' },
  },
};
