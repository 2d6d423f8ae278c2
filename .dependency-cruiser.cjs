/**
 * conveyor's layers, checked by dependency-cruiser in `npm test` (scripts/test.ts runs `npm run deps`).
 * domain/ is pure: it imports only domain/ (and libraries). activities/ never imports workflows/.
 * workflows/memory/ (the pipeline's memory) imports domain/ and itself only (eslint keeps Temporal out of it).
 * Production code never imports test/ or bench/. No import cycles.
 */
// scripts/ are developer tools (recording histories, screenshots, the chaos run): they may use test support.
const production = '^(activities|client|config|dashboard|domain|temporal|worker|workflows|sandbox|bin)/';
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
      name: 'memory-is-plain',
      comment:
        "workflows/memory/ is the pipeline's memory as plain objects: no Temporal, nothing of the workflow around it.",
      severity: 'error',
      from: { path: '^workflows/memory/' },
      to: { path: ['^workflows/(?!memory/)', '^(activities|client|worker|sandbox)/'] },
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
