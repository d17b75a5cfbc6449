import { toYaml } from '../yaml';
import { AlertmanagerConfigProps, CONFIG_FILE, buildAlertmanagerModel } from './config';
import { renderModel } from './model';
import { TEMPLATE_FILE, TEMPLATE_SOURCE } from './templates';

export * from './config';
export * from './model';
export { TEMPLATE, TEMPLATE_FILE, TEMPLATE_SOURCE } from './templates';

/**
 * alertmanager.yml as a plain object. Throws a ConfigError naming `where` (the construct path),
 * the field, the value and what is allowed.
 */
export function renderAlertmanagerConfig(props: AlertmanagerConfigProps, where = 'alertmanager'): Record<string, unknown> {
  return renderModel(buildAlertmanagerModel(props, where), where);
}

/** The files of the config directory: alertmanager.yml and the message template. */
export function alertmanagerConfigFiles(props: AlertmanagerConfigProps, where = 'alertmanager'): Record<string, string> {
  return {
    [CONFIG_FILE]: toYaml(renderAlertmanagerConfig(props, where)),
    [TEMPLATE_FILE]: TEMPLATE_SOURCE,
  };
}
