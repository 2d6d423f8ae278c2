#!/usr/bin/env node
// conveyor's CLI. TypeScript runs through tsx, so there is no build step between a clone and a run.
import { register } from 'tsx/esm/api';

// Node's deprecation notices (e.g. grpc-js naming a TLS server by IP) are not for the person at the CLI.
process.noDeprecation = true;
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
