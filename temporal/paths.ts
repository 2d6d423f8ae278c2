import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The repository root, whatever the working directory. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Local state (dev-server database, logs): gitignored. */
export const stateDir = join(projectRoot, '.conveyor');
