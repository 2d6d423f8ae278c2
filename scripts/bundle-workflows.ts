// Builds the workflow bundle once (the Docker image does this at build time), so a worker starts
// without webpack: `tsx scripts/bundle-workflows.ts OUT.js`, then CONVEYOR_WORKFLOW_BUNDLE=OUT.js.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../worker/worker';

const out = process.argv[2];
if (!out) {
  console.error('usage: tsx scripts/bundle-workflows.ts OUT.js');
  process.exit(2);
}
const { code } = await bundleWorkflowCode({ workflowsPath });
writeFileSync(out, code);
console.error(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB)`);
