import { readPause, type Pause } from './pause';

/** A company-wide stop of every pipeline (services with ignoreFreeze excepted). Same shape as a Pause. */
export type Freeze = Pause;

/** Reads a freeze request from whatever was sent (the Web UI may send nothing). Never throws. */
export const readFreeze = readPause;
