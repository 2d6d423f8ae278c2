/** A setting in the environment that cannot be used: its message names the variable and what is wrong. */
export class SettingsError extends Error {}
