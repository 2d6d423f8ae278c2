import { checkService } from '../domain/service-schema';
import type { Service } from '../domain/service';

/**
 * A Service arriving by message (configure signal, reconfigure update, preview query) is checked by
 * the same schema as the services file resolves into; a bad payload is refused with its reason and
 * never allowed to fail the workflow task.
 */
export function validService(
  input: unknown,
  expectedName: string,
): { ok: true; service: Service } | { ok: false; problem: string } {
  try {
    return checkService(input, expectedName);
  } catch (error) {
    return {
      ok: false,
      problem: `configuration could not be read: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
