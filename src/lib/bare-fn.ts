/// <reference lib="esnext.disposable" preserve="true" />
// (Kept in the emitted .d.ts: a consumer compiling with a plain lib: ["ES2022"] and no @types/node
// gets Disposable and Symbol.dispose from it.)
// BareFn: a JS function as a real C function pointer, with its threading mode and lifetime.
import { binding } from './native.js';
import { NO_CLONE } from './no-clone.js';
import type { Callee } from './arg-buffer.js';
import { encodedBytes } from './memory.js';
import { type Callback, type Fallback, forBareFn, type Signature } from './signature.js';
import { isStruct } from './struct.js';
import { describe, optionReader, type Type } from './types.js';

/**
 * Where native code may call a BareFn from (README.md, Threading modes), like Rust's Send/Sync:
 * - 'local' (default, `!Send`): only the thread that created it; calls from other threads are
 *   refused (the caller gets the fallback, the error is reported);
 * - 'blocking' (`Send + Sync`): other threads queue the call to the owning thread and wait for the
 *   result, at most `timeoutMs` for the owning thread to take it;
 * - 'nonblocking' (`Send`): other threads queue the call and return at once; void signatures only.
 * On the owning thread every mode calls the function directly.
 */
export type Threading = 'local' | 'blocking' | 'nonblocking';
const THREADINGS: readonly Threading[] = ['local', 'blocking', 'nonblocking'];

const BARE_FN_OPTIONS = ['threading', 'timeoutMs', 'settleTimeoutMs', 'ref', 'fallback', 'onError'] as const;
const readBareFnOptions = optionReader<BareFnOptions<Signature, Threading>>(BARE_FN_OPTIONS, 'new BareFn');

/** The mode's code for createBareFn (its index in THREADINGS), -1 for anything else: compared
 * with each constant rather than searched in THREADINGS (`includes` and `indexOf` are builtin
 * calls optimised code does not inline). */
function modeCode(threading: unknown): number {
  return threading === 'local' ? 0 : threading === 'blocking' ? 1 : threading === 'nonblocking' ? 2 : -1;
}

/** How long a 'blocking' call from another thread waits, by default, for the owning thread. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** How long a 'blocking' call from another thread waits, by default, for the Promise its callback
 * returned to settle: long enough for a network request or a file read, short enough that a
 * Promise that never settles (a bug) shows up as a 'timeout' report instead of a native thread
 * stuck for good. A user's answer (a dialog) can take longer: give settleTimeoutMs: Infinity. */
export const DEFAULT_SETTLE_TIMEOUT_MS = 30_000;

/** A 'blocking' BareFn's wait option `name` (`value`, undefined: `fallback`), checked. */
function waitOption(name: string, value: unknown, fallback: number, threading: Threading): number {
  if (value !== undefined && threading !== 'blocking') {
    throw new TypeError(`new BareFn: options.${name} is only for threading 'blocking'; this one is ${describe(threading)}`);
  }
  const ms = value ?? fallback;
  if (typeof ms !== 'number' || !(ms >= 0)) {
    throw new RangeError(`new BareFn: options.${name} must be a number >= 0 or Infinity; got ${describe(ms)}`);
  }
  return ms;
}

/**
 * The options argument of `new BareFn`: optional for 'local'; a BareFn typed with another mode must
 * name it in `threading`, so the type never claims a mode the handle does not have (TypeScript
 * would otherwise infer the mode from where the handle is used). Misuse reads as the runtime
 * error does: 'nonblocking' with a result gives "Type '"nonblocking"' is not assignable to type
 * '"'nonblocking' needs a void return type: the caller does not wait for a result"'".
 */
type OptionsArg<S extends Signature, M extends Threading> = [M] extends ['local']
  ? [options?: BareFnOptions<S, M>]
  : [options: Omit<BareFnOptions<S, M>, 'threading'> & { threading: ThreadingOf<S, M> }];

/** `M` where the signature allows it, else the reason as a type. */
type ThreadingOf<S extends Signature, M extends Threading> = M extends 'nonblocking'
  ? S extends Signature<Type<'void'>>
    ? M
    : "'nonblocking' needs a void return type: the caller does not wait for a result"
  : M;

/**
 * `new BareFn`'s signatures: without options (or with `threading: 'local'`) a 'local' BareFn,
 * whatever the context expects, so that passing one where a thread-safe BareFn is required says
 * "'BareFn<…, \"local\">' is not assignable to 'BareFn<…, \"blocking\" | \"nonblocking\">'"
 * (TypeScript inferred the mode from that context and asked for a third argument); with
 * another mode, that mode. src/index.ts exports BareFn with these.
 */
export type BareFnConstructor = Omit<typeof BareFn, never> & {
  new <S extends Signature>(signature: S, callback: Callback<S>, options?: BareFnOptions<S, 'local'>): BareFn<S, 'local'>;
  new <S extends Signature, const M extends Threading>(signature: S, callback: Callback<S, M>, options: Omit<BareFnOptions<S, M>, 'threading'> & { threading: ThreadingOf<S, M> }): BareFn<S, M>;
};

/** Passed to `onError` with the error. */
export interface ErrorInfo {
  /** The BareFn's signature, e.g. `(pointer, pointer) -> i32`. */
  readonly signature: string;
  /** 'threw': the callback threw; 'bad-return': its value does not fit the return type;
   * 'after-dispose': native code called it after dispose; 'refused': Node-API refused to enter JS
   * from where native code called (e.g. a foreign stack); 'wrong-thread': a 'local' BareFn was
   * called from another thread; 'timeout': a 'blocking' call from another thread was not taken by
   * the owning thread within timeoutMs, or the Promise its callback returned did not settle within
   * settleTimeoutMs; 'queue-full': a 'nonblocking' call from another thread was
   * dropped because the queue to the owning thread held `BareFn.queueLimit` calls. */
  readonly kind: 'threw' | 'bad-return' | 'after-dispose' | 'refused' | 'wrong-thread' | 'timeout' | 'queue-full';
}

export interface BareFnOptions<S extends Signature, M extends Threading = 'local'> {
  threading?: M;
  /** 'blocking' only: how long a call from another thread waits for the owning thread to take
   * it before it gets the fallback (default DEFAULT_TIMEOUT_MS; a fraction of a millisecond is
   * rounded up; Infinity, or 2^32 - 1 ms (49.7 days) and more, waits forever, which can deadlock,
   * see README). */
  timeoutMs?: M extends 'blocking' ? number : "timeoutMs is only for threading 'blocking'";
  /** 'blocking' only: when the callback returns a Promise (or thenable) to a call from another
   * thread, how long that caller waits for it to settle before it gets the fallback and a
   * 'timeout' report (default DEFAULT_SETTLE_TIMEOUT_MS, 30 s; rounded and unbounded as
   * timeoutMs). */
  settleTimeoutMs?: M extends 'blocking' ? number : "settleTimeoutMs is only for threading 'blocking'";
  /** Keep the event loop alive while this BareFn is not disposed (default false). */
  ref?: boolean;
  /** The value native code gets when no JS result can be delivered. Default: zero / NULL. */
  fallback?: Fallback<S>;
  /** Receives errors of native -> JS calls (see README, Errors). */
  onError?: (error: unknown, info: ErrorInfo) => void;
}

/** A BareFn that has not been disposed, as `BareFn.live()` describes it. */
export interface LiveBareFn {
  readonly signature: string;
  readonly threading: Threading;
  readonly address: bigint;
  /** Where it was created (a stack trace), when BARE_FN_TRACE=1 or BareFn.traceCreation. */
  readonly createdAt: string | undefined;
  /** Garbage-collected without dispose(): its thunk and JS function are kept forever. */
  readonly leaked: boolean;
}

let traceCreation = process.env.BARE_FN_TRACE === '1';

// Bits of createBareFn's `flags` after the mode (bits 0-1), as crates/napi/src/bare_fn.rs reads
// them: `{ ref: true }`, and which optional arguments are given (the addon reads only those).
const CREATE_REF = 4;
const CREATE_ON_ERROR = 8;
const CREATE_FALLBACK = 16;
const CREATE_SITE = 32;

/** How many BareFns may wait for their leak watch (see `BareFn.#watchLater`). */
const UNWATCHED_MAX = 1024;

/**
 * The JS functions of this thread's BareFns (or their wrappers, see arg-buffer.ts), each at its
 * BareFn's index in the addon's live registry, where native code looks it up
 * (crates/napi/src/dispatch.rs, `Dispatcher::function`).
 * One array per env (the addon's, shared by every copy of this module in the env) instead of a
 * Node-API reference per BareFn: a reference costs about 160 bytes of native memory and its
 * create + delete about as much as the rest of a create + dispose. An entry is cleared on dispose;
 * a leaked BareFn's stays, since native code may still call it.
 */
const functions = binding.bareFnFunctions();

/**
 * Calls and error reports that other threads queued for this thread are pending work, like a
 * resolved promise's callbacks: they run before its event loop ends, even though the addon's
 * wake-ups do not keep the loop alive (without `ref: true`). What this thread's JS never runs
 * (after process.exit(), say) is summed up on stderr at exit (crates/napi/src/dropped.rs).
 */
process.on('beforeExit', () => binding.runQueued());

/**
 * Reports BareFns garbage-collected without dispose (held value: the index). A
 * FinalizationRegistry rather than a Node-API finalizer, which costs about 160 bytes of native
 * memory per BareFn (a reference and a weak global handle) and more than the rest of a create +
 * dispose to run.
 */
const leakWatch = new FinalizationRegistry<number>((index) => {
  const warning = binding.bareFnCollected(index);
  if (warning !== undefined) process.emitWarning(warning, 'BareFnLeakWarning');
});

// A BareFn's #state.
const LIVE = 0;
/** Registered with leakWatch: dispose unregisters it. */
const WATCHED = 1;
const DISPOSED = 2;

const MAX_QUARANTINE = 10_000_000;
const MAX_QUEUE_LIMIT = 2 ** 31 - 1;
function checkCount(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}; got ${describe(value)}`);
  }
  return value;
}
const checkQuarantine = (value: unknown, what: string) => checkCount(value, what, 0, MAX_QUARANTINE);
const fromEnv = process.env.BARE_FN_QUARANTINE;
if (fromEnv !== undefined) {
  // Number('') and Number(' ') are 0: only digits count, and the message quotes the text as set.
  if (!/^\s*\d+\s*$/.test(fromEnv)) {
    throw new RangeError(`BARE_FN_QUARANTINE must be an integer from 0 to ${MAX_QUARANTINE}; got ${JSON.stringify(fromEnv)}`);
  }
  binding.setQuarantineCapacity(checkQuarantine(Number(fromEnv), 'BARE_FN_QUARANTINE'));
}

/**
 * A JS function as a real C function pointer (`address`). Dispose it (`using`, or `dispose()`)
 * when native code no longer holds the pointer.
 */
export class BareFn<S extends Signature = Signature, M extends Threading = 'local'> implements Disposable {
  /** Its index in the addon's registry of live BareFns (crates/napi/src/live.rs). */
  readonly #index: number;
  /** Asked of the addon on first use: a BareFn created and disposed without its address being
   * read (a callback handed over as a value, a test) costs one call into native code less. */
  #address: bigint | undefined;
  #state = LIVE;
  readonly signature: S;
  readonly threading: M;
  /** Makes structuredClone and postMessage refuse a BareFn with a DataCloneError saying why
   * (no-clone.ts); post its `.address` instead. */
  readonly noClone = NO_CLONE;

  /** The BareFns of this thread not yet disposed (including leaked ones), in no particular order,
   * to find leaks. */
  static live(): LiveBareFn[] {
    return binding.liveBareFns();
  }

  /** Record a stack trace at every `new BareFn` (for `live()` and leak warnings); also on with
   * the environment variable BARE_FN_TRACE=1. */
  static get traceCreation(): boolean {
    return traceCreation;
  }
  static set traceCreation(on: boolean) {
    if (typeof on !== 'boolean') throw new TypeError(`BareFn.traceCreation must be a boolean; got ${describe(on)}`);
    traceCreation = on;
  }

  /** How many disposed BareFns stay mapped as tombstones (answering native calls with the
   * fallback and an 'after-dispose' report) before their memory is reused. Default 4096; also
   * set by the environment variable BARE_FN_QUARANTINE. */
  static get quarantine(): number {
    return binding.quarantineCapacity();
  }
  static set quarantine(capacity: number) {
    binding.setQuarantineCapacity(checkQuarantine(capacity, 'BareFn.quarantine'));
  }

  /** How many calls from other threads the queue to a JS thread may hold (default 1,048,576):
   * a 'nonblocking' call that finds it full is dropped and reported ('queue-full'), so a thread
   * calling faster than JS runs the calls cannot grow memory without bound. For all threads. */
  static get queueLimit(): number {
    return binding.queueLimit();
  }
  static set queueLimit(limit: number) {
    binding.setQueueLimit(checkCount(limit, 'BareFn.queueLimit', 1, MAX_QUEUE_LIMIT));
  }

  constructor(signature: S, callback: Callback<S, M>, ...optionsArg: OptionsArg<S, M>) {
    // Each option is read once: a getter that changed between reads lost the onError it had.
    const read = readBareFnOptions(optionsArg[0] as BareFnOptions<S, M> | undefined) as BareFnOptions<S, M>;
    const { threading: threadingOption, timeoutMs: timeoutOption, settleTimeoutMs: settleOption, ref, onError, fallback } = read;
    const { handle, wrap } = forBareFn(signature, 'new BareFn: the signature');
    if (typeof callback !== 'function') {
      throw new TypeError(`new BareFn: the callback must be a function; got ${describe(callback)}`);
    }
    const threading = threadingOption ?? ('local' as M);
    const mode = modeCode(threading);
    if (mode < 0) {
      throw new RangeError(`new BareFn: options.threading must be one of ${THREADINGS.join(', ')}; got ${describe(threading)}`);
    }
    const timeoutMs = waitOption('timeoutMs', timeoutOption, DEFAULT_TIMEOUT_MS, threading);
    const settleTimeoutMs = waitOption('settleTimeoutMs', settleOption, DEFAULT_SETTLE_TIMEOUT_MS, threading);
    if (ref !== undefined && typeof ref !== 'boolean') {
      throw new TypeError(`new BareFn: options.ref must be a boolean; got ${describe(ref)}`);
    }
    if (onError !== undefined && typeof onError !== 'function') {
      throw new TypeError(`new BareFn: options.onError must be a function; got ${describe(onError)}`);
    }
    // The stack without its first two lines ('Error', this constructor): the creator first.
    // Where it was created (this constructor's caller first): for leak warnings when traced, and
    // always for BareFns other threads may call, whose errors, delivered by the event loop, would
    // otherwise point nowhere (a stack capture costs about a microsecond: not for every 'local').
    const site = traceCreation || mode !== 0 ? new Error().stack?.split('\n').slice(2).join('\n') : undefined;
    const flags =
      mode |
      (ref === true ? CREATE_REF : 0) |
      (onError !== undefined ? CREATE_ON_ERROR : 0) |
      (fallback !== undefined ? CREATE_FALLBACK : 0) |
      (site !== undefined ? CREATE_SITE : 0);
    const ret = signature.ret;
    // A struct's fallback goes native as its bytes, encoded (and checked) here.
    const fallbackValue = isStruct(ret) && fallback !== undefined ? encodedBytes(ret, fallback, 'new BareFn: options.fallback') : fallback;
    const index = binding.createBareFn(handle, flags, timeoutMs, settleTimeoutMs, onError, fallbackValue, site);
    functions[index] = wrap === undefined ? callback : wrap(callback as Callee);
    this.#index = index;
    this.signature = signature;
    this.threading = threading;
    BareFn.#watchLater(this);
  }

  /** BareFns created since leaks were last watched for (`#watch`): the first #unwatchedCount
   * entries. A fixed array and a count, not push and pop: V8 shrinks an array's storage when pop
   * empties it and reallocates it at the next push (about 300 instructions a pair). */
  static #unwatched: (BareFn<Signature, Threading> | undefined)[] = new Array(UNWATCHED_MAX).fill(undefined);
  static #unwatchedCount = 0;
  static #watchQueued = false;

  /**
   * Registering with leakWatch (and unregistering at dispose) costs about as much as the rest of
   * a create + dispose. So it is done late, for the BareFns still undisposed when the current
   * task's microtasks run (or when UNWATCHED_MAX wait): one disposed in the task that made it
   * never needs it. Until then this list holds it, so none can be collected unnoticed; the bound
   * keeps a loop that creates BareFns without yielding from holding every one it made (dispose
   * takes the last one out).
   */
  static #watchLater(bareFn: BareFn<Signature, Threading>): void {
    if (BareFn.#unwatchedCount === UNWATCHED_MAX) BareFn.#watch();
    BareFn.#unwatched[BareFn.#unwatchedCount++] = bareFn;
    if (!BareFn.#watchQueued) {
      BareFn.#watchQueued = true;
      queueMicrotask(() => {
        BareFn.#watchQueued = false;
        BareFn.#watch();
      });
    }
  }

  static #watch(): void {
    const unwatched = BareFn.#unwatched;
    for (let i = 0; i < BareFn.#unwatchedCount; i++) {
      const bareFn = unwatched[i]!;
      if (bareFn.#state === LIVE) {
        leakWatch.register(bareFn, bareFn.#index, bareFn);
        bareFn.#state = WATCHED;
      }
      unwatched[i] = undefined;
    }
    BareFn.#unwatchedCount = 0;
  }

  /** The C function pointer. Reading it after dispose is a TypeError. */
  get address(): bigint {
    if (this.#state === DISPOSED) {
      throw new TypeError(`BareFn ${this.signature}: address read after dispose`);
    }
    return (this.#address ??= binding.bareFnAddress(this.#index));
  }

  get disposed(): boolean {
    return this.#state === DISPOSED;
  }

  /** Releases the JS function and retires the thunk (native calls then get the fallback). */
  dispose(): void {
    const state = this.#state;
    if (state === DISPOSED) return;
    binding.disposeBareFn(this.#index);
    functions[this.#index] = undefined;
    this.#state = DISPOSED;
    if (state === WATCHED) leakWatch.unregister(this);
    // Disposed right after it was made (`using`, a loop): it needs no watch, nor holding.
    const last = BareFn.#unwatchedCount - 1;
    if (last >= 0 && BareFn.#unwatched[last] === this) {
      BareFn.#unwatched[last] = undefined;
      BareFn.#unwatchedCount = last;
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
