/**
 * The history of one notebook as the panel shows it: the states, the tree they
 * form, which branch is on screen, and live updates from the server.
 *
 * Pure data and rules (`HistoryGraph`) plus a small polling model
 * (`HistoryModel`) that keeps a graph current, knows how the Timeline is
 * shown (folded or every edit, fold.ts) and signals changes. No DOM.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { foldEdits } from './fold';
import { IState, ITree } from './tokens';

/**
 * A state as placed in the timeline: the other branches that start at it.
 */
export interface ITimelineRow {
  state: IState;
  /** Children of this state that are not on the branch on screen. */
  otherBranches: IState[];
  isHead: boolean;
  /** Edits folded into this run's row (see fold.ts), oldest last. */
  folded: IState[];
}

/**
 * One row of the compact tree view (a `git log --graph` layout).
 */
export interface ITreeRow {
  state: IState;
  /** The lane (column) of this state's dot. */
  lane: number;
  /** Lanes with a line passing through this row (including this state's). */
  lanesBefore: number[];
  /** Lanes continuing below this row. */
  lanesAfter: number[];
  isHead: boolean;
}

/**
 * The tree of a notebook's states and the rules to walk it.
 *
 * States are made as children of an existing state, so a parent always has
 * a smaller `seq` than its children; the rules below rely on that.
 */
export class HistoryGraph {
  constructor(tree: ITree) {
    this.head = tree.head;
    this.add(tree.states);
  }

  head: string | null;

  get states(): readonly IState[] {
    return this._states;
  }

  get lastSeq(): number {
    const last = this._states[this._states.length - 1];
    return last?.seq ?? 0;
  }

  get(id: string): IState | undefined {
    return this._byId.get(id);
  }

  children(id: string): IState[] {
    return this._children.get(id) ?? [];
  }

  /**
   * Add states (oldest first, as the server sends them); known ids are
   * replaced (a label may have changed).
   */
  add(states: readonly IState[]): void {
    for (const state of states) {
      const known = this._byId.get(state.id);
      if (known) {
        Object.assign(known, state);
        continue;
      }
      this._byId.set(state.id, state);
      this._states.push(state);
      if (state.parent) {
        const siblings = this._children.get(state.parent) ?? [];
        siblings.push(state);
        this._children.set(state.parent, siblings);
      }
    }
    this._latest = null;
  }

  /**
   * The most recent state in the subtree of `id`: the tip of the branch that
   * continues from it.
   */
  tipOf(id: string): IState | undefined {
    const latest = this._latestLeaf();
    const tipId = latest.get(id);
    return tipId ? this._byId.get(tipId) : undefined;
  }

  /**
   * The states from `tip` back to the root, newest first.
   */
  branch(tip: string): IState[] {
    const path: IState[] = [];
    let current = this._byId.get(tip);
    const seen = new Set<string>();
    while (current && !seen.has(current.id)) {
      seen.add(current.id);
      path.push(current);
      current = current.parent ? this._byId.get(current.parent) : undefined;
    }
    return path;
  }

  /**
   * The timeline for the branch ending at `tip` (Head's branch by default):
   * newest first; each row lists the branches that leave the line there.
   *
   * When Head is not a tip (the document went back to earlier content), the
   * branch on screen runs on from Head to the latest state after it.
   */
  timeline(tip?: string | null): ITimelineRow[] {
    const start = tip ?? this.defaultTip();
    if (!start) {
      return [];
    }
    const path = this.branch(start);
    const onPath = new Set(path.map(s => s.id));
    return path.map(state => ({
      state,
      otherBranches: this.children(state.id).filter(c => !onPath.has(c.id)),
      isHead: state.id === this.head,
      folded: []
    }));
  }

  /**
   * The tip shown when no branch was chosen: the latest state after Head.
   */
  defaultTip(): string | null {
    if (this.head && this._byId.has(this.head)) {
      return this.tipOf(this.head)?.id ?? this.head;
    }
    const last = this._states[this._states.length - 1];
    return last ? last.id : null;
  }

  /**
   * Every state, newest first, with lanes for a compact graph of branches.
   */
  treeRows(): ITreeRow[] {
    const rows: ITreeRow[] = [];
    // lanes[i] is the id of the state lane i is waiting for (its next parent)
    const lanes: (string | null)[] = [];
    const ordered = [...this._states].sort((a, b) => b.seq - a.seq);
    for (const state of ordered) {
      let lane = lanes.indexOf(state.id);
      if (lane === -1) {
        lane = lanes.indexOf(null);
        if (lane === -1) {
          lane = lanes.length;
          lanes.push(null);
        }
      }
      const lanesBefore = active(lanes);
      if (!lanesBefore.includes(lane)) {
        lanesBefore.push(lane);
      }
      // other lanes waiting for this state end here: it is their branch point
      for (let i = 0; i < lanes.length; i++) {
        if (i !== lane && lanes[i] === state.id) {
          lanes[i] = null;
        }
      }
      lanes[lane] =
        state.parent && this._byId.has(state.parent) ? state.parent : null;
      while (lanes.length > 0 && lanes[lanes.length - 1] === null) {
        lanes.pop();
      }
      rows.push({
        state,
        lane,
        lanesBefore: lanesBefore.sort((a, b) => a - b),
        lanesAfter: active(lanes),
        isHead: state.id === this.head
      });
    }
    return rows;
  }

  private _latestLeaf(): Map<string, string> {
    if (this._latest) {
      return this._latest;
    }
    const latest = new Map<string, string>();
    const bySeq = new Map<string, number>();
    for (let i = this._states.length - 1; i >= 0; i--) {
      const state = this._states[i];
      if (!latest.has(state.id)) {
        latest.set(state.id, state.id);
        bySeq.set(state.id, state.seq);
      }
      const tip = latest.get(state.id)!;
      const tipSeq = bySeq.get(tip) ?? state.seq;
      if (state.parent) {
        const known = latest.get(state.parent);
        if (!known || (bySeq.get(known) ?? -1) < tipSeq) {
          latest.set(state.parent, tip);
          bySeq.set(tip, tipSeq);
        }
      }
    }
    this._latest = latest;
    return latest;
  }

  private _states: IState[] = [];
  private _byId = new Map<string, IState>();
  private _children = new Map<string, IState[]>();
  private _latest: Map<string, string> | null = null;
}

function active(lanes: (string | null)[]): number[] {
  const result: number[] = [];
  lanes.forEach((id, i) => {
    if (id !== null) {
      result.push(i);
    }
  });
  return result;
}

/**
 * Fetches a notebook's tree, all of it or the states after `since`.
 */
export type TreeSource = (path: string, since: number) => Promise<ITree>;

/**
 * Keeps the graph of one notebook current by polling `tree?since=`.
 */
export class HistoryModel {
  constructor(private _source: TreeSource) {}

  get path(): string | null {
    return this._path;
  }

  get graph(): HistoryGraph | null {
    return this._graph;
  }

  get error(): string | null {
    return this._error;
  }

  /** The tip of the branch the user chose to see; null is Head's branch. */
  get viewTip(): string | null {
    return this._viewTip;
  }
  set viewTip(value: string | null) {
    this._viewTip = value;
    this._changed.emit();
  }

  /** Whether the Timeline shows every edit, or folds those that only prepared a run. */
  get everyEdit(): boolean {
    return this._everyEdit;
  }
  set everyEdit(value: boolean) {
    if (value !== this._everyEdit) {
      this._everyEdit = value;
      this._changed.emit();
    }
  }

  /** The Timeline's rows: the branch on screen, newest first, folded unless every edit is asked for. */
  timeline(): ITimelineRow[] {
    const rows = this._graph ? this._graph.timeline(this._viewTip) : [];
    return this._everyEdit ? rows : foldEdits(rows);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Show a label change at once (the server has stored it).
   */
  setLabel(id: string, label: string | null): void {
    const state = this._graph?.get(id);
    if (state) {
      state.label = label;
      this._changed.emit();
    }
  }

  /**
   * Show another notebook (or none); loads its whole history.
   */
  async setPath(path: string | null): Promise<void> {
    if (path === this._path) {
      return;
    }
    this._path = path;
    this._graph = null;
    this._error = null;
    this._viewTip = null;
    this._changed.emit();
    await this.refresh();
  }

  /**
   * Fetch what is new. Returns true if anything changed.
   */
  async refresh(): Promise<boolean> {
    const path = this._path;
    if (!path) {
      return false;
    }
    const since = this._graph?.lastSeq ?? 0;
    let tree: ITree;
    try {
      tree = await this._source(path, since);
    } catch (error) {
      if (path !== this._path) {
        return false;
      }
      const message = (error as Error).message;
      const changed = message !== this._error;
      this._error = message;
      if (changed) {
        this._changed.emit();
      }
      return changed;
    }
    if (path !== this._path) {
      return false; // the user moved to another notebook meanwhile
    }
    const hadError = this._error !== null;
    this._error = null;
    if (!this._graph) {
      this._graph = new HistoryGraph(tree);
      this._changed.emit();
      return true;
    }
    const grew = tree.states.length > 0;
    const moved = tree.head !== this._graph.head;
    if (grew) {
      this._graph.add(tree.states);
    }
    this._graph.head = tree.head;
    if (grew || moved || hadError) {
      if (grew || moved) {
        this._viewTip = null; // follow the user's work
      }
      this._changed.emit();
      return true;
    }
    return false;
  }

  private _path: string | null = null;
  private _graph: HistoryGraph | null = null;
  private _error: string | null = null;
  private _viewTip: string | null = null;
  private _everyEdit = false;
  private _changed = new Signal<this, void>(this);
}
