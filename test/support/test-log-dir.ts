import { join } from 'node:path';
import { projectRoot } from '../../temporal/paths';

/** Where the workers of a test run write their warnings (test-logs.ts): kept for a failure, out of the test output. */
export const TEST_LOG_DIR = process.env.CONVEYOR_TEST_LOG_DIR ?? join(projectRoot, '.test-logs');
