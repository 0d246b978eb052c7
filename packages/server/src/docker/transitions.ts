import type { Identities } from './identities.js';
import type { EngineJob } from './docker-operations.js';
import { type ContainerRecord, type Overlay, stopGraceOf } from './docker-records.js';
import { isUp } from './docker-states.js';
import type { EngineRecords } from './engine-records.js';

/** After the SIGKILL of a `docker stop` the container's `die` follows within moments. */
const STOP_MARGIN_MS = 5_000;

/** An action the REST API started that has not ended. */
export interface OpenAction {
  readonly uuid: string;
  readonly parents: readonly string[];
  /** Every engine call of the action has returned. */
  jobsDone: boolean;
  /** The resource URIs still in a transitional state for it. */
  readonly overlays: Set<string>;
}

/**
 * What is under way and when it must end: the transitional states objects are in (`Scaling`,
 * `Redeploying`, `Starting`, ...) with their deadlines, the open actions that put them there, and
 * the containers `Stopping` since a kill. Ending one marks the objects it held in
 * {@link Identities}, so the next flush re-derives them.
 *
 * @example
 * transitions.set(uri, { state: 'Scaling', until: 'settled', action: null });
 * transitions.nextDeadline(); // now + the settle timeout
 */
export class Transitions {
  /** Transitional states by resource URI. */
  readonly overlays = new Map<string, Overlay>();
  readonly openActions = new Map<string, OpenAction>();
  /** Actions whose overlays or jobs changed: the next flush sees whether they are done. */
  private readonly actionsToCheck = new Set<string>();
  /**
   * Containers `Stopping` since a `kill` with a stop signal, by id, and when the signal came. They
   * go back to `Running` if they still run at {@link killDeadline}. `docker stop` and `docker kill
   * -s TERM` send the same event; only the first is sure to end in a `die` (SIGKILL after the stop
   * timeout), so a container still up once that could have happened handled or ignored the
   * signal, as a fresh listing would say. The time is kept rather than the deadline: an inspect
   * may teach the container's stop timeout after its kill.
   */
  private readonly killedAt = new Map<string, number>();

  constructor(
    private readonly identities: Identities,
    private readonly records: EngineRecords,
    private readonly now: () => number,
    /** How long a transitional state waits for the engine to converge, at least. */
    private readonly settleTimeoutMs: number,
  ) {}

  // ---- transitional states -----------------------------------------------------------------------

  /**
   * Puts an object in a transitional state until its condition holds, or until the settle timeout
   * has passed, or `holdMs` if that is longer (the time its containers may take to stop; Infinity
   * holds it until the condition).
   */
  set(uri: string, overlay: Omit<Overlay, 'deadline'>, holdMs = 0): void {
    const previous = this.overlays.get(uri);
    if (previous) this.end(uri, previous);
    const deadline = this.now() + Math.max(this.settleTimeoutMs, holdMs);
    this.overlays.set(uri, {
      state: overlay.state,
      until: overlay.until,
      action: overlay.action,
      deadline,
      ...(overlay.target !== undefined ? { target: overlay.target } : {}),
      ...(overlay.old !== undefined ? { old: overlay.old } : {}),
      ...(overlay.startedAt !== undefined ? { startedAt: overlay.startedAt } : {}),
    });
  }

  /** Ends a transitional state; the others of its action may now be done, so they are re-derived. */
  end(uri: string, overlay: Overlay): void {
    if (this.overlays.get(uri) === overlay) this.overlays.delete(uri);
    if (overlay.action === null) return;
    const action = this.openActions.get(overlay.action);
    if (!action) return;
    action.overlays.delete(uri);
    this.actionsToCheck.add(action.uuid);
    for (const other of action.overlays) this.identities.markUri(other);
  }

  /** Ends the transitional state of `uri`, if it has one. */
  endAny(uri: string): void {
    const overlay = this.overlays.get(uri);
    if (overlay) this.end(uri, overlay);
  }

  /** The live overlay of `uri` at `now`, ending it first if its deadline passed or `done` holds. */
  overlayOf(uri: string, done: (overlay: Overlay) => boolean, now: number): Overlay | undefined {
    const overlay = this.overlays.get(uri);
    if (!overlay) return undefined;
    if (now >= overlay.deadline || done(overlay)) {
      this.end(uri, overlay);
      return undefined;
    }
    return overlay;
  }

  /** Whether every other object of the overlay's action is only waiting for its own children. */
  childrenDone(overlay: Overlay, self: string): boolean {
    if (overlay.action === null) return true;
    const action = this.openActions.get(overlay.action);
    if (!action) return true;
    for (const uri of action.overlays) {
      if (uri === self) continue;
      if (this.overlays.get(uri)?.until !== 'children-done') return false;
    }
    return true;
  }

  // ---- actions -------------------------------------------------------------------------------------

  open(uuid: string, parents: readonly string[], jobsDone: boolean): OpenAction {
    const action: OpenAction = { uuid, parents, jobsDone, overlays: new Set() };
    this.openActions.set(uuid, action);
    this.actionsToCheck.add(uuid);
    return action;
  }

  /** Its jobs or overlays changed: the next flush sees whether it is done. */
  check(uuid: string): void {
    this.actionsToCheck.add(uuid);
  }

  /** Closes and returns the actions checked since the last call whose jobs and overlays are all done. */
  takeSucceeded(): readonly OpenAction[] {
    if (this.actionsToCheck.size === 0) return NONE;
    const done: OpenAction[] = [];
    for (const uuid of this.actionsToCheck) {
      const action = this.openActions.get(uuid);
      if (action?.jobsDone && action.overlays.size === 0) {
        this.openActions.delete(uuid);
        done.push(action);
      }
    }
    this.actionsToCheck.clear();
    return done;
  }

  // ---- kills ---------------------------------------------------------------------------------------

  /** A running container got a stop signal now: it is `Stopping` until it dies or {@link killDeadline}. */
  killed(c: ContainerRecord): void {
    c.stopping = true;
    this.killedAt.set(c.id, this.now());
  }

  /** The container died, stopped or started: a kill's `Stopping` is over. */
  notStopping(c: ContainerRecord): void {
    if (!c.stopping) return;
    c.stopping = false;
    this.killedAt.delete(c.id);
  }

  forgetKill(id: string): void {
    this.killedAt.delete(id);
  }

  /** After a re-list: a kill's deadline lives on only for a container the listing still shows `Stopping`. */
  keepKillsOfStopping(): void {
    for (const id of this.killedAt.keys()) if (this.records.containers.get(id)?.stopping !== true) this.killedAt.delete(id);
  }

  /**
   * When a container signalled at `at` that still runs goes back to `Running`: once a `docker stop`
   * of it would have reached its SIGKILL and `die` (its stop timeout and a margin), and not before
   * the settle timeout, how long any transitional state may wait. Never, for a container whose
   * `docker stop` waits for ever.
   */
  private killDeadline(id: string, at: number): number {
    const c = this.records.containers.get(id);
    const grace = c ? stopGraceOf(this.records, c) + STOP_MARGIN_MS : 0;
    return at + Math.max(this.settleTimeoutMs, grace);
  }

  // ---- deadlines -----------------------------------------------------------------------------------

  /** The earliest time at which {@link expire} has something to do, if any (a wait for ever has none). */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    const consider = (deadline: number) => {
      if (Number.isFinite(deadline) && (earliest === undefined || deadline < earliest)) earliest = deadline;
    };
    for (const overlay of this.overlays.values()) consider(overlay.deadline);
    for (const [id, at] of this.killedAt) consider(this.killDeadline(id, at));
    return earliest;
  }

  /**
   * Marks the objects whose transitional state is past its deadline (the flush ends it while it
   * derives them), and puts back to running the containers still up long after their kill.
   */
  expire(now: number): void {
    for (const [uri, overlay] of this.overlays) {
      if (overlay.deadline > now) continue;
      const identity = this.identities.identityOf(uri);
      if (identity) this.identities.mark(identity.type, identity.key);
      else this.end(uri, overlay);
    }
    for (const [id, at] of this.killedAt) {
      if (this.killDeadline(id, at) > now) continue;
      this.killedAt.delete(id);
      const c = this.records.containers.get(id);
      if (c?.stopping) {
        // Still up long after the signal: it handled or ignored it (a reload, a trapped SIGINT).
        c.stopping = false;
        this.identities.mark('container', id);
      }
    }
  }

  /**
   * How long the engine may take to stop what these jobs stop, plus the margin: a stop or restart
   * waits for its container's stop timeout, and a swarm scale, update or removal stops tasks after
   * their service's grace period. 0 for jobs that stop nothing (a start, a `docker rm -f`).
   */
  stopHoldOf(jobs: readonly EngineJob[]): number {
    let hold = 0;
    for (const job of jobs) {
      switch (job.kind) {
        case 'container-stop':
        case 'container-restart': {
          const c = this.records.containers.get(job.id);
          if (c) hold = Math.max(hold, stopGraceOf(this.records, c) + STOP_MARGIN_MS);
          break;
        }
        case 'service-scale':
          hold = Math.max(hold, this.serviceStopHold(`s:${job.id}`, job.replicas));
          break;
        case 'service-redeploy':
        case 'service-remove':
          hold = Math.max(hold, this.serviceStopHold(`s:${job.id}`));
          break;
        case 'container-start':
        case 'container-remove':
          break;
      }
    }
    return hold;
  }

  /**
   * The longest grace any running container of the service gets when swarm stops it, plus the
   * margin; 0 when none runs, or when a scale to `replicas` stops none (a scale up).
   */
  serviceStopHold(serviceKey: string, replicas = 0): number {
    let hold = 0;
    let up = 0;
    for (const cid of this.records.serviceContainers.get(serviceKey) ?? []) {
      const c = this.records.containers.get(cid);
      if (!c || !isUp(c.status)) continue;
      up++;
      hold = Math.max(hold, stopGraceOf(this.records, c) + STOP_MARGIN_MS);
    }
    return up > replicas ? hold : 0;
  }
}

const NONE: readonly OpenAction[] = [];
