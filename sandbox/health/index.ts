// Stand-ins for the health gates' sources: Heroku status, a Statuspage, Librato, a stage's URLs, and (providers.ts) Datadog, New Relic, PagerDuty and Grafana.
export { startHealthSandbox, type HealthSandbox, type HealthSandboxOptions } from './server';
export type { HealthControls, IncidentInput, ProbeAnswer, StatuspageImpact, SystemStatus } from './world';
export { startProviderFakes, type Provider, type ProviderFakes, type ProviderKeys } from './providers';
