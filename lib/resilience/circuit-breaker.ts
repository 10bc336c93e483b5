/** What `circuitBreaker` resolves to. */
export interface CircuitBreakerSettings {
  /** Consecutive failures or timeouts of one server that open its circuit. */
  failures: number;
  /** How long an open circuit stays open before one call is let through as a probe. */
  breakForMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** One server's circuit, as `stats().circuit` shows it. */
export interface CircuitNodeStats {
  address: string;
  state: CircuitState;
  /** Consecutive failures counted while closed. */
  failures: number;
  /** How many times this circuit opened (a failed probe re-opening it is not counted). */
  opens: number;
}

export interface CircuitStats {
  /** Every server that failed at least once. */
  nodes: CircuitNodeStats[];
  /** Openings, all servers together. */
  opens: number;
}

/** Told once when a server's circuit opens and once when it closes again. */
export type CircuitListener = (event: 'opened' | 'closed', address: string) => void;

interface Circuit {
  state: CircuitState;
  failures: number;
  opens: number;
  /** Open: when the next probe may go. Half-open: when a probe that never reported is given up. */
  until: number;
}

/**
 * One circuit per server: after `failures` consecutive failures the server gets no command for
 * `breakFor` (callers are answered at once, as if it missed); then the next call is let through
 * as a probe while the others still get the answer at once. The probe's success closes the
 * circuit, its failure opens it for another `breakFor`.
 */
export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();
  /** Circuits not closed with zero failures: while none, callers need not even name the server. */
  private troubled = 0;
  private opened = 0;

  constructor(
    private readonly settings: CircuitBreakerSettings,
    private readonly onChange?: CircuitListener,
    private readonly now: () => number = Date.now,
  ) {}

  /** No server failed since it last answered: nothing to check, nothing to reset. */
  get quiet(): boolean {
    return this.troubled === 0;
  }

  /**
   * Whether a command may be sent to `address` now. `true` for a closed circuit, and for the one
   * caller that becomes the probe of an open circuit whose `breakFor` is over.
   */
  allows(address: string): boolean {
    const circuit = this.circuits.get(address);
    if (!circuit || circuit.state === 'closed') return true;
    const now = this.now();
    if (now < circuit.until) return false;
    circuit.state = 'half-open';
    circuit.until = now + this.settings.breakForMs;
    return true;
  }

  /**
   * For a command that needs every server: when every circuit that is not closed is due for a
   * probe, claims them all and names them (the command is their probe); `undefined` when some
   * circuit still refuses.
   */
  claimAll(): string[] | undefined {
    if (this.troubled === 0) return [];
    const now = this.now();
    const due: string[] = [];
    for (const [address, circuit] of this.circuits) {
      if (circuit.state === 'closed') continue;
      if (now < circuit.until) return undefined;
      due.push(address);
    }
    for (const address of due) this.allows(address);
    return due;
  }

  /** Whether the circuit of `address` refuses commands now (open, `breakFor` not over); claims nothing. */
  isOpen(address: string): boolean {
    const circuit = this.circuits.get(address);
    return circuit?.state === 'open' && this.now() < circuit.until;
  }

  succeeded(address: string): void {
    const circuit = this.circuits.get(address);
    if (!circuit || (circuit.state === 'closed' && circuit.failures === 0)) return;
    const wasOpen = circuit.state !== 'closed';
    circuit.state = 'closed';
    circuit.failures = 0;
    this.troubled--;
    if (wasOpen) this.onChange?.('closed', address);
  }

  failed(address: string): void {
    const circuit = this.circuitOf(address);
    if (circuit.state === 'half-open') return this.open(circuit);
    if (circuit.state === 'open') return;
    if (circuit.failures++ === 0) this.troubled++;
    if (circuit.failures < this.settings.failures) return;
    circuit.opens++;
    this.opened++;
    this.open(circuit);
    this.onChange?.('opened', address);
  }

  stats(): CircuitStats {
    const now = this.now();
    const nodes = [...this.circuits].map(([address, circuit]) => ({
      address,
      state: circuit.state === 'half-open' && now >= circuit.until ? 'open' : circuit.state,
      failures: circuit.failures,
      opens: circuit.opens,
    }));
    return { nodes, opens: this.opened };
  }

  private open(circuit: Circuit): void {
    circuit.state = 'open';
    circuit.until = this.now() + this.settings.breakForMs;
  }

  private circuitOf(address: string): Circuit {
    let circuit = this.circuits.get(address);
    if (!circuit) {
      circuit = { state: 'closed', failures: 0, opens: 0, until: 0 };
      this.circuits.set(address, circuit);
    }
    return circuit;
  }
}
