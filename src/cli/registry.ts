// Command registry: each file in src/cli/commands/ calls defineCommand once at import time,
// so adding a command is one import line in src/cli/main.ts.
import type { Command } from 'commander';

export type CommandDefinition = (program: Command) => void;

export const COMMANDS: CommandDefinition[] = [];

export function defineCommand(def: CommandDefinition): void {
  COMMANDS.push(def);
}
