/**
 * Service level objectives: SLIs built from catalog metrics (sli.ts), SLOs with the workbook's
 * multi-window multi-burn-rate tiers (slo.ts), their rule file and Alertmanager inhibitions
 * (render.ts) and generated promtool tests (tests.ts).
 */
export * from './sli';
export * from './slo';
export * from './render';
export * from './tests';
export * from './runbooks';
