/**
 * Alert and recording rules as value objects (AlertRule, RecordingRule, RuleGroup), and what is
 * generated from them: Prometheus rule files (renderRuleFile), synth-time checks
 * (validateRuleGroups), promtool unit tests (generatePromtoolTests) and runbooks (renderRunbooks).
 */
export * from './rule';
export * from './render';
export * from './validate';
export * from './tests';
export * from './runbooks';
export * from './humanize';
export * from './inhibit';
