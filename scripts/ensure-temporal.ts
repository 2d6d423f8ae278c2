import { temporalBinary, TemporalCliUnavailable } from '../temporal/binary';

try {
  temporalBinary();
} catch (error) {
  if (!(error instanceof TemporalCliUnavailable)) throw error;
  console.error(`conveyor: ${error.message}`);
  process.exit(1);
}
