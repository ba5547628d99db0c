/** The connection as the first argument or as --connection, for any command shape (client/commands/connection-argument.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { acceptConnectionOption } from '../../client/commands/connection-argument';

/** A program of every shape, each action recording what it was given; the error of a refused line. */
async function parse(argv: string[]): Promise<{ args?: unknown[]; error?: string }> {
  let args: unknown[] | undefined;
  const record = (...given: unknown[]) => void (args = given.slice(0, -2));
  const program = new Command('s2s').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  program.command('one <connectionId>').action(record);
  program.command('two <connectionId> <code>').action(record);
  program.command('many <connectionId> <sku...>').action(record);
  program.command('maybe [connectionId]').action(record);
  program.command('own <connectionId>').option('-c, --connection <x>', 'its own').action(record);
  program.command('other [id]').option('--json').action(record);
  acceptConnectionOption(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { args };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

test('the connection first, or --connection in its place, reach the action alike', async () => {
  for (const [argv, args] of [
    [['one', 'acme'], ['acme']],
    [['one', '-c', 'acme'], ['acme']],
    [['one', '--connection=acme'], ['acme']],
    [['one', 'acme', '-c', 'acme'], ['acme']],
    [
      ['two', 'acme', 'WEB-1'],
      ['acme', 'WEB-1'],
    ],
    [
      ['two', 'WEB-1', '-c', 'acme'],
      ['acme', 'WEB-1'],
    ],
    [
      ['two', '-c', 'acme', 'acme', 'WEB-1'],
      ['acme', 'WEB-1'],
    ],
    [
      ['many', 'acme', 'A', 'B'],
      ['acme', ['A', 'B']],
    ],
    [
      ['many', '-c', 'acme', 'A', 'B'],
      ['acme', ['A', 'B']],
    ],
    [
      ['many', 'acme', 'A', '--connection', 'acme'],
      ['acme', ['A']],
    ],
    [['maybe'], [undefined]],
    [['maybe', '-c', 'acme'], ['acme']],
    [['own', 'acme'], ['acme']],
    [['other', 'k1'], ['k1']],
  ] as const) {
    assert.deepEqual(await parse([...argv]), { args }, argv.join(' '));
  }
});

test('two connections, none, or too many arguments are refused, naming the usage', async () => {
  assert.deepEqual(await parse(['one', 'acme', '-c', 'bravo']), { error: "two connections named: 'acme' and --connection bravo; name it once" });
  assert.deepEqual(await parse(['two', 'bravo', 'WEB-1', '-c', 'acme']), { error: "two connections named: 'bravo' and --connection acme; name it once" });
  assert.deepEqual(await parse(['two', '-c', 'acme']), {
    error: "missing required argument 'code': s2s two <connectionId> <code> (or --connection <connectionId> <code>)",
  });
  assert.deepEqual(await parse(['many', '-c', 'acme']), {
    error: "missing required argument 'sku': s2s many <connectionId> <sku...> (or --connection <connectionId> <sku...>)",
  });
  assert.deepEqual(await parse(['one']), { error: "missing required argument 'connectionId': s2s one <connectionId> (or --connection <connectionId>)" });
  assert.match((await parse(['maybe', 'acme', 'extra'])).error ?? '', /too many arguments for 'maybe'/);
  // A command with a --connection of its own keeps its meaning; one whose first argument is not the connection gets none.
  assert.match((await parse(['other', 'k1', '-c', 'acme'])).error ?? '', /unknown option '-c'/);
});
