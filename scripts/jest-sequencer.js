/**
 * jest's order, except on a run without the timings of an earlier one (a fresh clone, CI): there jest
 * orders by file size, and the files that mostly wait on real servers (Prometheus, Alertmanager) could
 * start last and finish long after the rest. They start first instead, so their waiting overlaps the
 * CPU-bound files. (With timings, jest already starts the longest files first.)
 */
const path = require('path');
const Sequencer = require('@jest/test-sequencer').default;

const WAITS_ON_SERVERS = /e2e|demo-exporter/;

class WaitingFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const waits = (t) => t.duration == null && WAITS_ON_SERVERS.test(path.basename(t.path));
    return [...sorted.filter(waits), ...sorted.filter((t) => !waits(t))];
  }
}

module.exports = WaitingFirst;
