// Builds the workflow bundle once (the Docker image does this at build time), so a worker starts
// without webpack: `tsx scripts/bundle-workflows.ts OUT.js [--traces]`, then CONVEYOR_WORKFLOW_BUNDLE=OUT.js.
// --traces builds in the OpenTelemetry workflow interceptors (docs/operating/traces.md).
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../worker/worker';
import { workflowTracingModules } from '../worker/traces';

const out = process.argv[2];
const traces = process.argv.slice(3).includes('--traces');
if (!out || out.startsWith('--')) {
  console.error('usage: tsx scripts/bundle-workflows.ts OUT.js [--traces]');
  process.exit(2);
}
const { code } = await bundleWorkflowCode({
  workflowsPath,
  ...(traces ? { workflowInterceptorModules: workflowTracingModules() } : {}),
});
writeFileSync(out, code);
console.error(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB)`);
