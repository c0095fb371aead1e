/**
 * Tests of the document reporter on a real notebook model and panel (with
 * mocked services): when it reports, what, and that it stays quiet when
 * nothing changed.
 */

import { Context } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  INotebookTracker,
  NotebookPanel
} from '@jupyterlab/notebook';
import { NBTestUtils } from '@jupyterlab/notebook/lib/testutils';
import { Signal } from '@lumino/signaling';

import { DocumentReporter } from '../reporter';
import { IDocumentReport, ReportReason } from '../tokens';

/** Let promise callbacks (context.ready, the send chain) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}

describe('DocumentReporter', () => {
  let context: Context<INotebookModel>;
  let panel: NotebookPanel;
  let widgetAdded: Signal<INotebookTracker, NotebookPanel>;
  let reporter: DocumentReporter;
  /** What was sent, and why (the reason stays in the frontend). */
  let sent: (IDocumentReport & { reason: ReportReason })[];
  let send: jest.Mock;
  /** What was sent when the notebook opened (before each test body). */
  let opened: (IDocumentReport & { reason: ReportReason })[];

  beforeEach(async () => {
    context = await NBTestUtils.createMockContext();
    // @jupyter/ydoc touches a new cell's Yjs types before adding them to the
    // document, which Yjs 13.6 warns about; that noise is not ours.
    const quiet = jest.spyOn(console, 'warn').mockImplementation(() => {});
    context.model.sharedModel.insertCell(0, {
      cell_type: 'code',
      source: 'x = 1'
    });
    quiet.mockRestore();
    panel = NBTestUtils.createNotebookPanel(context);
    const tracker = { forEach: () => undefined } as unknown as INotebookTracker;
    widgetAdded = new Signal(tracker);
    (tracker as any).widgetAdded = widgetAdded;
    sent = [];
    send = jest.fn(async (report: IDocumentReport, reason: ReportReason) => {
      sent.push({ ...report, reason });
      return { head: `s${sent.length}`, created: true, moved: false };
    });
    jest.useFakeTimers();
    reporter = new DocumentReporter({ tracker, debounceMs: 2000, send });
    widgetAdded.emit(panel);
    await settle();
    opened = sent.splice(0);
    send.mockClear();
  });

  afterEach(() => {
    reporter.dispose();
    panel.dispose();
    context.dispose();
    jest.useRealTimers();
  });

  function firstCell() {
    return context.model.cells.get(0);
  }

  it('reports the document at once when it opens, with its cell ids', () => {
    expect(opened).toEqual([
      {
        path: context.localPath,
        cells: [{ id: firstCell().id, cell_type: 'code', source: 'x = 1' }],
        reason: 'open'
      }
    ]);
  });

  it('reports an edit once the notebook has been idle for the delay', async () => {
    firstCell().sharedModel.setSource('x = 2');
    jest.advanceTimersByTime(1999);
    expect(send).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(send).toHaveBeenCalledTimes(1);
    expect(sent[0].reason).toBe('idle');
    // exactly the keys of POST document's body (#document_request)
    expect(send.mock.calls[0][0]).toEqual({
      path: context.localPath,
      cells: [{ id: firstCell().id, cell_type: 'code', source: 'x = 2' }]
    });
  });

  it('restarts the delay on every edit and sends nothing unchanged', async () => {
    firstCell().sharedModel.setSource('x = 2');
    jest.advanceTimersByTime(1500);
    firstCell().sharedModel.setSource('x = 3');
    jest.advanceTimersByTime(1500);
    expect(send).not.toHaveBeenCalled();
    jest.advanceTimersByTime(500);
    expect(send).toHaveBeenCalledTimes(1);
    expect(sent[0].cells[0].source).toBe('x = 3');

    // Changes that do not touch ids, types or sources are not reported.
    firstCell().sharedModel.setSource('x = 3');
    context.model.sharedModel.setMetadata('tags', ['a']);
    jest.advanceTimersByTime(5000);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('reports at once when the user undoes an edit', async () => {
    const cell = firstCell().sharedModel;
    cell.setSource('x = 2');
    jest.advanceTimersByTime(2000);
    expect(sent.map(r => r.cells[0].source)).toEqual(['x = 2']);
    // Make the next edit its own undo step.
    (cell as any).undoManager.stopCapturing();
    cell.setSource('x = 99');
    jest.advanceTimersByTime(2000);
    cell.undo();
    jest.advanceTimersByTime(0);
    expect(sent.map(r => [r.reason, r.cells[0].source])).toEqual([
      ['idle', 'x = 2'],
      ['idle', 'x = 99'],
      ['undo', 'x = 2']
    ]);
  });

  it('flushes a pending edit when a save starts', async () => {
    firstCell().sharedModel.setSource('x = 5');
    (context.saveState as Signal<any, string>).emit('started');
    expect(sent.map(r => r.reason)).toEqual(['save']);
    jest.advanceTimersByTime(5000);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('logs a failure once and retries on the next trigger', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    send.mockRejectedValue(new Error('store unavailable'));
    firstCell().sharedModel.setSource('x = 6');
    jest.advanceTimersByTime(2000);
    await settle();
    firstCell().sharedModel.setSource('x = 7');
    jest.advanceTimersByTime(2000);
    await settle();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/store unavailable/);

    send.mockResolvedValue({ head: 's9', created: true });
    (context.saveState as Signal<any, string>).emit('started');
    expect(send).toHaveBeenCalledTimes(3);
    warn.mockRestore();
  });
});
