/** What an L2 call returns when Redis could not be used: the caller carries on without it. */
export const UNAVAILABLE = Symbol('l2-unavailable');
export type Maybe<T> = T | typeof UNAVAILABLE;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A promise settled with `value` after `ms`, whose timer can be cancelled. */
export function deadline<T>(ms: number, value: T): { promise: Promise<T>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(value), Math.max(0, ms));
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
