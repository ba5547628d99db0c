/**
 * One convention for every command that acts on a connection: its id is the command's first
 * argument (`status demo-omni`, `order status demo-omni WEB-1001`), and `-c, --connection <id>` is
 * taken in its place (`orders -c demo-omni`, `order submit order.json --connection demo-omni`).
 * Applied once to the whole program, so a command gets it by naming its first argument `connectionId`.
 */
import { Help, type Argument, type Command } from 'commander';
import { UsageError } from '../cli-context';

const CONNECTION_ARGUMENT = 'connectionId';
/** How each such command is listed in its parent's help: its arguments as declared, its first form only. */
const listedAs = new WeakMap<Command, string>();

/** Gives every command whose first argument is `connectionId` the `--connection` form too. */
export function acceptConnectionOption(command: Command): void {
  for (const sub of command.commands) acceptConnectionOption(sub);
  const declared = command.registeredArguments;
  if (declared[0]?.name() !== CONNECTION_ARGUMENT) return;
  // A command with a --connection of its own means something else by it: left as it is.
  if (command.options.some((option) => option.attributeName() === 'connection')) return;
  const required = declared.map((argument) => argument.required);
  // The help keeps the arguments as declared; commander checks none of them itself any more (below, once --connection is placed).
  command.usage(command.usage());
  listedAs.set(command, `${command.name()} ${command.usage().split(' | ')[0]}`);
  if (command.parent) listDeclared(command.parent);
  for (const argument of declared) argument.required = false;
  command.option('-c, --connection <connectionId>', 'the connection, in place of the first argument');
  command.hook('preAction', (_, action) => placeConnection(action, required));
}

function listDeclared(parent: Command): void {
  parent.configureHelp({
    ...parent.configureHelp(),
    subcommandTerm(this: Help, sub: Command) {
      return listedAs.get(sub) ?? Help.prototype.subcommandTerm.call(this, sub);
    },
  });
}

/** The operands as the action receives them, with --connection placed first; a required argument still missing is refused. */
function placeConnection(command: Command, required: boolean[]): void {
  const declared = command.registeredArguments;
  const named = (command.opts() as { connection?: string }).connection;
  let operands = [...command.args];
  if (named !== undefined) {
    const fixed = declared.filter((argument) => !argument.variadic).length;
    // Named both ways alike: once is enough. A variadic command's first operand is never taken for the connection.
    if (operands[0] === named) operands.shift();
    else if (operands.length >= fixed && !declared.at(-1)!.variadic && operands.length > 0) {
      throw new UsageError(`two connections named: '${operands[0]}' and --connection ${named}; name it once`);
    }
    operands = [named, ...operands];
  }
  if (!declared.at(-1)!.variadic && operands.length > declared.length) {
    throw new UsageError(`too many arguments for '${command.name()}': ${usageOf(command, required)}`);
  }
  command.processedArgs = declared.map((argument, index) => valueOf(argument, operands, index));
  declared.forEach((argument, index) => {
    const value = command.processedArgs[index] as unknown;
    const missing = value === undefined || (Array.isArray(value) && value.length === 0);
    if (required[index] && missing) throw new UsageError(`missing required argument '${argument.name()}': ${usageOf(command, required)}`);
  });
}

function valueOf(argument: Argument, operands: string[], index: number): unknown {
  if (argument.variadic) return index < operands.length ? operands.slice(index) : (argument.defaultValue ?? []);
  return index < operands.length ? operands[index] : argument.defaultValue;
}

/** `s2s order status <connectionId> <channelOrderCode> (or --connection <connectionId> <channelOrderCode>)`. */
function usageOf(command: Command, required: boolean[]): string {
  const path: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) path.unshift(at.name());
  const [first, ...rest] = command.registeredArguments.map((argument, index) => {
    const name = `${argument.name()}${argument.variadic ? '...' : ''}`;
    return required[index] ? `<${name}>` : `[${name}]`;
  });
  const tail = rest.length > 0 ? ` ${rest.join(' ')}` : '';
  return `${path.join(' ')} ${first}${tail} (or --connection <connectionId>${tail})`;
}
