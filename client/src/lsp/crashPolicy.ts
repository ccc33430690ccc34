// Whether to restart the language server after it went away unexpectedly (rust-analyzer's rule): a few
// restarts within a window, each with a notice; past that the server stays down until the user
// restarts it, so a server that dies on start does not loop. Pure: the clock is passed in.

export interface CrashDecision {
  restart: boolean;
  /** the notice for the user */
  message: string;
}

export class CrashPolicy {
  private crashes: number[] = [];

  constructor(
    /** restarts allowed within the window */
    readonly maxRestarts = 4,
    readonly windowMs = 3 * 60_000,
  ) {}

  onCrash(now: number): CrashDecision {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    const minutes = Math.round(this.windowMs / 60_000);
    if (this.crashes.length <= this.maxRestarts) {
      return {
        restart: true,
        message: `The Checkpoint Lens language server stopped unexpectedly and is restarting (${this.crashes.length} of ${this.maxRestarts} restarts in ${minutes} minutes).`,
      };
    }
    return {
      restart: false,
      message: `The Checkpoint Lens language server stopped ${this.crashes.length} times in ${minutes} minutes and will not be restarted. See the output for why, then restart it.`,
    };
  }

  /** After a restart the user asked for: start counting afresh. */
  reset(): void {
    this.crashes = [];
  }
}
