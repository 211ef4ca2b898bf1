/** An item in a FireHeap; the heap keeps `heapIndex` up to date so items can move or leave in O(log n). */
export interface HeapItem {
  /** Next fire time in epoch milliseconds. */
  nextFire: number;
  heapIndex: number;
}

/**
 * A binary min-heap of items ordered by next fire time. The scheduler arms one timer for the top
 * item, so 10,000 pipelines cost one timer and O(log n) work per fire or edit.
 */
export class FireHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  /** Moves an item after its nextFire changed. */
  update(item: T): void {
    this.down(this.up(item.heapIndex));
  }

  remove(item: T): void {
    const index = item.heapIndex;
    if (index < 0 || this.items[index] !== item) {
      return;
    }

    const last = this.items.pop();
    if (last !== undefined && last !== item) {
      this.items[index] = last;
      last.heapIndex = index;
      this.update(last);
    }
    item.heapIndex = -1;
  }

  /** Moves the item at `index` towards the root while it fires earlier than its parent; returns its new index. */
  private up(index: number): number {
    let current = index;
    while (current > 0) {
      const parent = (current - 1) >> 1;
      if (this.items[parent].nextFire <= this.items[current].nextFire) {
        break;
      }
      this.swap(current, parent);
      current = parent;
    }

    return current;
  }

  private down(index: number): void {
    let current = index;
    for (;;) {
      const left = current * 2 + 1;
      const right = left + 1;
      let smallest = current;

      if (left < this.items.length && this.items[left].nextFire < this.items[smallest].nextFire) {
        smallest = left;
      }
      if (right < this.items.length && this.items[right].nextFire < this.items[smallest].nextFire) {
        smallest = right;
      }
      if (smallest === current) {
        return;
      }

      this.swap(current, smallest);
      current = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const itemA = this.items[a];
    const itemB = this.items[b];
    this.items[a] = itemB;
    this.items[b] = itemA;
    itemA.heapIndex = b;
    itemB.heapIndex = a;
  }
}
