/**
 * A circuit breaker: after `failureThreshold` consecutive failures (connection errors,
 * timeouts, 5xx) requests fail fast with CircuitOpenError for `recoveryTimeoutMs`; then one
 * probe request is let through ("half-open"): its success closes the circuit, its failure
 * opens it again.
 */
import * as C from './constants.js';
import { CircuitOpenError, TavoConfigError } from './errors.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold?: number;
  recoveryTimeoutMs?: number;
  clock?: () => number;
}

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly recoveryTimeoutMs: number;
  failureCount = 0;
  private readonly clock: () => number;
  private current: CircuitState = 'closed';
  private openedAt = 0;
  private probeInFlight = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? C.CIRCUIT_FAILURE_THRESHOLD;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new TavoConfigError('circuitBreaker.failureThreshold', 'must be a whole number >= 1');
    }
    this.recoveryTimeoutMs = options.recoveryTimeoutMs ?? C.CIRCUIT_RECOVERY_TIMEOUT_MS;
    if (!(this.recoveryTimeoutMs >= 0)) {
      throw new TavoConfigError('circuitBreaker.recoveryTimeoutMs', 'must be a number >= 0');
    }
    this.clock = options.clock ?? (() => performance.now());
  }

  get state(): CircuitState {
    if (this.current === 'open' && this.recoveryLeft() <= 0) return 'half-open';
    return this.current;
  }

  private recoveryLeft(): number {
    return this.openedAt + this.recoveryTimeoutMs - this.clock();
  }

  /** Throws CircuitOpenError when the request must not be sent. */
  beforeRequest(): void {
    if (this.current === 'closed') return;
    if (this.current === 'open') {
      const left = this.recoveryLeft();
      if (left > 0) {
        throw new CircuitOpenError(
          `circuit breaker is open after ${this.failureCount} consecutive failures; next probe in ${(left / 1000).toFixed(1)}s`,
          left,
        );
      }
      this.current = 'half-open';
    }
    if (this.probeInFlight) {
      throw new CircuitOpenError('circuit breaker is half-open and its probe request is in flight', 0);
    }
    this.probeInFlight = true;
  }

  recordSuccess(): void {
    this.current = 'closed';
    this.failureCount = 0;
    this.probeInFlight = false;
  }

  recordFailure(): void {
    this.failureCount += 1;
    this.probeInFlight = false;
    if (this.current === 'half-open' || this.failureCount >= this.failureThreshold) {
      this.current = 'open';
      this.openedAt = this.clock();
    }
  }

  /** A request that went out ended without an answer about the server (e.g. aborted). */
  releaseProbe(): void {
    this.probeInFlight = false;
  }

  /** Closes the circuit and forgets the failures. */
  reset(): void {
    this.recordSuccess();
  }
}
