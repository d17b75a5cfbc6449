import * as path from 'path';
import * as groups from './groups.json';

/**
 * Runs the test files of the group that `groupFile` (test/groups/<group>.test.ts) is named after, as
 * test/groups/groups.json lists them, each inside a `describe` named after it, so its hooks stay its own.
 */
export function runGroup(groupFile: string): void {
  const name = path.basename(groupFile, '.test.ts');
  const files = (groups as unknown as Record<string, string[]>)[name];
  if (!files) throw new Error(`runGroup: no group ${JSON.stringify(name)} in test/groups/groups.json`);
  for (const file of files) {
    describe(`${file}.test.ts`, () => {
      require(`../${file}.test`);
    });
  }
}
