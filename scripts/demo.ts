/**
 * `npm run demo [-- <scenario>] [--real-timings]`: the synthesized stack on this machine, for a
 * person to try. The real Prometheus and Alertmanager (Debian's packages) run on 127.0.0.1 with the
 * dev environment's configs and rules, scraping the demo exporter in the chosen scenario; what
 * Alertmanager sends to Slack, PagerDuty and the heartbeat is printed here. Ctrl-C stops everything.
 */
import { DEMO_TIMINGS, LocalStack, Notification, SCENARIOS, ScenarioName } from '../lib/demo';

const USAGE = `usage: npm run demo [-- <scenario>] [--real-timings]
  scenarios: ${Object.entries(SCENARIOS).map(([name, s]) => `\n    ${name.padEnd(16)} ${s.description}`).join('')}
  --real-timings  keep the 15s scrape interval, the alerts' own \`for\` and Alertmanager's timings
                  (by default they are shortened so that alerts fire within a minute)`;

function parseArgs(argv: string[]): { scenario: ScenarioName; realTimings: boolean } {
  let scenario: ScenarioName = 'healthy';
  let realTimings = false;
  for (const arg of argv) {
    if (arg === '--real-timings') realTimings = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg in SCENARIOS) scenario = arg as ScenarioName;
    else {
      console.error(`npm run demo: unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
      process.exit(2);
    }
  }
  return { scenario, realTimings };
}

function describe(n: Notification): string {
  const to = n.via === 'slack' ? `slack ${n.channel}` : n.via;
  return `${new Date().toISOString().slice(11, 19)}  ${to.padEnd(24)} ${n.title}`;
}

async function main(): Promise<void> {
  const { scenario, realTimings } = parseArgs(process.argv.slice(2));
  console.log('Starting Prometheus, Alertmanager and the demo exporter on 127.0.0.1 ...');
  const stack = await LocalStack.start({ scenario, timings: realTimings ? undefined : DEMO_TIMINGS });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping ...');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const t = realTimings
    ? 'as synthesized (15s scrapes; alerts wait their full `for`)'
    : `shortened for the demo: ${DEMO_TIMINGS.interval} scrapes and evaluations, every alert's \`for\` at most ${DEMO_TIMINGS.alertFor}, group_wait ${DEMO_TIMINGS.groupWait}`;
  console.log(`
  Prometheus      ${stack.prometheusUrl}            alerts: ${stack.prometheusUrl}/alerts  targets: ${stack.prometheusUrl}/targets
  Alertmanager    ${stack.alertmanagerUrl}
  Demo exporter   ${stack.exporter.controlUrl}   scenario: ${scenario} (${SCENARIOS[scenario].description})

  Switch scenario: curl -X POST --data <scenario> ${stack.exporter.controlUrl}
                   (${Object.keys(SCENARIOS).join(', ')})
  Timings: ${t}
  Config and rules: ${stack.distDir} (the dev environment, synthesized with local receiver URLs)
  Dashboards: ${stack.distDir}/dashboards/*.json (import into a Grafana pointed at the Prometheus above)

Notifications (Slack, PagerDuty and the heartbeat are stood in for locally) appear below. Ctrl-C stops.
`);
  let shown = 0;
  setInterval(() => {
    for (const n of stack.receiver.received.slice(shown)) console.log(describe(n));
    shown = stack.receiver.received.length;
  }, 500);
}

main().catch((err: Error) => {
  console.error(`npm run demo failed: ${err.message}`);
  process.exit(1);
});
