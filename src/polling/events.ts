/** What a poller tells operators, through the `observer` hook. No event carries a resource or a checkpoint's content. */

/** What every poll event names. */
export interface PollEventAbout {
  readonly key: string;
  readonly tenant: string;
  /** The poller's clock (epoch ms). */
  readonly at: number;
}

export type PollEvent =
  | (PollEventAbout & { readonly type: "poll" })
  | (PollEventAbout & { readonly type: "changed"; readonly changes: number })
  | (PollEventAbout & { readonly type: "unchanged" })
  | (PollEventAbout & { readonly type: "paused"; readonly provider: string; readonly reason: "rate-limited" | "circuit-open"; readonly until: number })
  | (PollEventAbout & { readonly type: "cadence"; readonly fromMs: number; readonly toMs: number })
  /** The poll failed otherwise (its error's `kind` only), or `onChange` threw: the checkpoint stays where it was. */
  | (PollEventAbout & { readonly type: "failed"; readonly errorKind: string; readonly during: "poll" | "hand-off" | "checkpoint" });

export type PollObserver = (event: PollEvent) => void;
