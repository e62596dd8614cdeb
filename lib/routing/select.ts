/** The order one call tries the members in, after the strategy: open circuits last, and `explore`. */
export interface Selection {
  /** Indices of the members, in the order the call tries them. */
  readonly order: readonly number[];
  /** The member `explore` put first instead of the strategy's pick, if it did. */
  readonly explored: number | undefined;
  /** How many of `order` are not skipped (they come first): only those are worth a hedge. */
  readonly available: number;
}

/** What {@link select} needs besides the strategy's order. */
export interface SelectInput {
  /** Whether member `i` is to be skipped now (every path to a provider behind an open circuit). */
  readonly skipped: (i: number) => boolean;
  /** The share of calls sent to another member than the pick; `0` for none. */
  readonly explore: number;
  readonly random: () => number;
}

/**
 * Moves skipped members to the end (they are tried only when all others failed, and then refuse
 * without a request), then with probability `explore` puts one of the other available members,
 * chosen at random, before the strategy's pick.
 */
export function select(strategyOrder: readonly number[], input: SelectInput): Selection {
  const available: number[] = [];
  const skipped: number[] = [];
  for (const i of strategyOrder) (input.skipped(i) ? skipped : available).push(i);
  if (input.explore > 0 && available.length > 1 && input.random() < input.explore) {
    const k = 1 + Math.floor(input.random() * (available.length - 1));
    const [explored] = available.splice(k, 1);
    return { order: [explored!, ...available, ...skipped], explored, available: available.length + 1 };
  }
  return { order: [...available, ...skipped], explored: undefined, available: available.length };
}
