/** What a poller tells operators, through the `observer` hook. No event carries a resource or a checkpoint's content. */

interface About {
  readonly key: string;
  readonly tenant: string;
  /** The poller's clock (epoch ms). */
  readonly at: number;
}

export type PollEvent =
  | (About & { readonly type: "poll" })
  | (About & { readonly type: "changed"; readonly changes: number })
  | (About & { readonly type: "unchanged" })
  | (About & { readonly type: "paused"; readonly provider: string; readonly reason: "rate-limited" | "circuit-open"; readonly until: number })
  | (About & { readonly type: "cadence"; readonly fromMs: number; readonly toMs: number })
  /** The poll failed otherwise (its error's `kind` only), or `onChange` threw: the checkpoint stays where it was. */
  | (About & { readonly type: "failed"; readonly errorKind: string; readonly during: "poll" | "hand-off" | "checkpoint" });

export type PollObserver = (event: PollEvent) => void;
