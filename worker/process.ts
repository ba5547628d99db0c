/** A worker process's last word: one line on stderr naming what stopped it, and exit code 1. */
export function runUntilStopped(name: string, main: () => Promise<void>): void {
  main().catch((error: Error) => {
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(1);
  });
}
