/** Pages listed and waiting to be written, as the queue sees them: how many objects each holds. */
export interface QueuedPage {
  objects: number;
}

interface Entry<P extends QueuedPage> {
  group: string;
  page: P;
  write: (pages: P[]) => Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface PageWriteLimits {
  /** Batches written at once (each holds one database connection for its transaction). */
  concurrency: number;
  /** Objects one batch may gather from the queue (one transaction, one statement per table). */
  batchObjects: number;
  /** Objects the queue may hold before `add` makes the listing wait: the bound on the memory of pages listed but not written. */
  maxQueuedObjects: number;
}

/**
 * The page writes of a reconcile run, apart from its listing: a cursor chain hands its page over and
 * lists the next one at once, waiting only when the queue already holds `maxQueuedObjects` (so the
 * memory of listed-but-unwritten pages is bounded by objects, not by how many chains there are).
 * Up to `concurrency` writers take from the queue; a writer takes the oldest page and the other
 * queued pages of the same group (Stripe account) up to `batchObjects`, written together. When the
 * database keeps up, each page is written alone as soon as it arrives; when it falls behind, the
 * batches grow, and each statement's round trip and fixed cost is shared by more objects.
 */
export class PageWriteQueue<P extends QueuedPage> {
  private readonly queue: Entry<P>[] = [];
  private queued = 0;
  private writing = 0;
  private waitingForRoom: (() => void)[] = [];

  constructor(private readonly limits: PageWriteLimits) {}

  /**
   * Queues a page of `group` to be written by `write` (with the other pages of its batch), once
   * there is room. Resolves when it is queued with `written`, which settles when its batch is
   * written or has failed (every page of a batch is whole or not at all).
   */
  async add(group: string, page: P, write: (pages: P[]) => Promise<void>): Promise<{ written: Promise<void> }> {
    // An empty queue always takes the page, however large it is, so that no page waits forever.
    while (this.queued > 0 && this.queued + page.objects > this.limits.maxQueuedObjects) {
      await new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
    }
    const written = new Promise<void>((resolve, reject) => this.queue.push({ group, page, write, resolve, reject }));
    this.queued += page.objects;
    this.pump();
    return { written };
  }

  /** Objects queued and not yet taken by a writer. */
  get queuedObjects(): number {
    return this.queued;
  }

  private pump(): void {
    while (this.writing < this.limits.concurrency && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.writing += 1;
      const pages = batch.map((e) => e.page);
      void batch[0]!
        .write(pages)
        .then(
          () => batch.forEach((e) => e.resolve()),
          (error: unknown) => batch.forEach((e) => e.reject(error)),
        )
        .finally(() => {
          this.writing -= 1;
          this.pump();
        });
    }
  }

  /** The oldest queued page and the next ones of its group, up to `batchObjects` (the first one whatever its size). */
  private takeBatch(): Entry<P>[] {
    const first = this.queue.shift()!;
    const batch = [first];
    let objects = first.page.objects;
    for (let i = 0; i < this.queue.length && objects < this.limits.batchObjects; ) {
      const entry = this.queue[i]!;
      if (entry.group === first.group && objects + entry.page.objects <= this.limits.batchObjects) {
        batch.push(entry);
        objects += entry.page.objects;
        this.queue.splice(i, 1);
      } else i++;
    }
    this.queued -= objects;
    // Room was made: every waiting chain looks again (those that still do not fit wait on).
    const waiting = this.waitingForRoom;
    this.waitingForRoom = [];
    waiting.forEach((wake) => wake());
    return batch;
  }
}
